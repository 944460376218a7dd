// The persistent recurrent kernels' device side (lstm_persist.cu), for lstm.cu. CUDA translation
// units only.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "cuda/lstm_persist.h"

namespace vigil {
namespace cuda {

// The plan for this call's shape on the current device (for the backward kernel when `backward`),
// or why there is none (null on success):
// no cooperative launch, hidden size over 256, a slice over the shared-memory budget, or a grid the
// device cannot hold at once. CudaError on a failing query.
const char* persistentPlan(const rnnk::Seq& q, bool backward, rnnk::PersistPlan* plan, const std::string& where);

// The cooperative grid of one forward (every buffer of p on the device), on `stream`.
void persistentLaunch(const rnnk::Fwd& p, const rnnk::PersistPlan& plan, cudaStream_t stream,
                      const std::string& where);
// The cooperative grid of one backward's steps (every buffer of p and s on the device).
void persistentBackwardLaunch(const rnnk::Bwd& p, const rnnk::BwdStart& s, const rnnk::PersistPlan& plan,
                              cudaStream_t stream, const std::string& where);

}  // namespace cuda
}  // namespace vigil
