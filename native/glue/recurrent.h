// The recurrent families' common binding: the LSTM and the SimpleRNN register the same argument
// lists (the RNN without the cell-state slots) through one definer, glue/lstm.cc's
// defineRecurrent, parameterised by the family's kernels.
#pragma once
#include "cpu/lstm.h"
#include "glue/common.h"

namespace vigil {
namespace glue {

using RecurrentForward = void (*)(const RecurrentArgs&, float* cache, float* y, float* hLast, float* cLast,
                                  float* yMax);
using RecurrentBackward = void (*)(const RecurrentArgs&, float* cache, const RecurrentGrads&);

struct RecurrentKernels {
  const char* prefix;      // "lstm" or "rnn"
  const char* Prefix;      // "Lstm" or "Rnn": the test-only names' spelling
  int64_t gatesPerHidden;  // 4 or 1
  bool hasCell;
  int64_t (*cacheSize)(int64_t, int64_t, int64_t);
  RecurrentForward forward;
  RecurrentBackward backward;
  // The CUDA twins (cuda/lstm.h) and their grids run as host loops.
  RecurrentForward cudaForward, hostForward;
  RecurrentBackward cudaBackward, hostBackward;
  // The persistent kernels' grids as host loops (cuda/lstm_persist.h).
  RecurrentForward hostPersistentForward;
  RecurrentBackward hostPersistentBackward;
};

// Registers <prefix>Forward, <prefix>Backward, <prefix>CacheSize (and their Async forms), the same
// on the GPU as <prefix>ForwardCuda, <prefix>BackwardCuda (+ Async), and the test-only
// _cudaHostEmulate<Prefix>Forward, _cudaHostEmulate<Prefix>Backward,
// _cudaHostEmulate<Prefix>ForwardPersistent, _cudaHostEmulate<Prefix>BackwardPersistent, all
// checking the same arguments.
void defineRecurrent(Napi::Env env, Napi::Object exports, const RecurrentKernels& k);

}  // namespace glue
}  // namespace vigil
