// The persistent recurrent kernels' device side (lstm_persist.cu), for lstm.cu. CUDA translation
// units only.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "cuda/lstm.h"
#include "cuda/lstm_persist.h"

namespace vigil {
namespace cuda {

// The plan for this call's shape on the current device (for the backward kernel when `backward`),
// or why there is none (null on success):
// no cooperative launch, hidden size over 256, a slice over the shared-memory budget, or a grid the
// device cannot hold at once. CudaError on a failing query.
const char* persistentPlan(const rnnk::Seq& q, bool backward, rnnk::PersistPlan* plan, const std::string& where);

// The cooperative grid of one forward (every buffer of p on the device), on `stream`. The plan keeps
// to the documented bound (occupancy x SMs), yet the driver is the judge of co-residency: where it
// still refuses the grid as too large (cudaErrorCooperativeLaunchTooLarge; a device whose SMs are
// shared out, as MPS can, may hold fewer blocks than the query counts) and `mayRefuse` (Auto), this
// returns false having launched nothing, so the caller runs the per-step grids, which need no
// co-residency, instead of failing a call they can run. CudaError on any other failure.
bool persistentLaunch(const rnnk::Fwd& p, const rnnk::PersistPlan& plan, cudaStream_t stream, bool mayRefuse,
                      const std::string& where);
// The cooperative grid of one backward's steps (every buffer of p and s on the device), the same way.
bool persistentBackwardLaunch(const rnnk::Bwd& p, const rnnk::BwdStart& s, const rnnk::PersistPlan& plan,
                              cudaStream_t stream, bool mayRefuse, const std::string& where);

// Records which kernels ran a forward's (backward's) steps, for lastRecurrentPath (cuda/lstm.h).
void noteRecurrentPath(bool backward, RecurrentPath ran);

}  // namespace cuda
}  // namespace vigil
