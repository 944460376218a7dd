// The LSTM and the SimpleRNN on the GPU (lstm.cu) and the same grids run as host loops
// (host_grid.cc). Same contracts as cpu/lstm.h's lstmForward / lstmBackward and cpu/rnn.h's
// rnnForward / rnnBackward (layouts, lengths and padding, dropout masks, the cache's planes, the
// overwritten gradients), from and to host memory, in dense mode (x with W_ih) and gather mode
// (tokens with a folded Embedding table, dTable from the backward).
//
// Where they differ from the CPU kernels: padded entries of the training cache's gate and cell
// planes, which the CPU leaves unwritten, come back as 0 from the device; and the backward reads
// the cache without consuming it (the CPU overwrites it in place; the emulation, like the CPU,
// writes the gate gradients over its gate plane). Run one backward per training forward either way.
#pragma once
#include "cpu/lstm.h"

namespace vigil {
namespace cuda {

// Throw CudaError (naming the kernel and the shape) on any CUDA failure, std::runtime_error when
// the addon has no CUDA.
void lstmForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
void lstmBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);
void rnnForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
void rnnBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);

// Which kernels run the steps of lstmForward / rnnForward and of lstmBackward / rnnBackward: Auto
// picks the persistent kernels (cuda/lstm_persist.h) when the hidden size is at most 256, a block's
// slice of W_hh fits in shared memory with a grid the device holds at once, and the device runs
// cooperative launches, else one grid per step. Step and Persistent force one (Persistent throws,
// saying why, where it cannot run); for the parity test and the bench. Process-wide; Auto by default.
enum class RecurrentPath { Auto = 0, Step = 1, Persistent = 2 };
RecurrentPath setRecurrentPath(RecurrentPath path);  // returns the previous one
RecurrentPath recurrentPath();
// The kernels that ran the steps of the last forward (backward) on the GPU: Step or Persistent
// (Auto before the first). Both give the same bits, so this is how the parity test sees that Auto
// picked the persistent kernels. Process-wide.
RecurrentPath lastRecurrentPath(bool backward);

namespace host {
void lstmForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
void lstmBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);
void rnnForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
void rnnBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);
// The persistent kernels' grids as host loops, on a modelled device of 4 SMs holding 2 blocks each
// (so H over 8 takes several units per block, and slices that do not divide H); throw where the
// plan fails (H over 256).
void lstmForwardPersistent(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
void lstmBackwardPersistent(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);
void rnnForwardPersistent(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
void rnnBackwardPersistent(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);
}  // namespace host

}  // namespace cuda
}  // namespace vigil
