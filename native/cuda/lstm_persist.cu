// The persistent recurrent kernels, forward and backward (the phases and the plan are
// lstm_persist.h's): one cooperative launch for all T steps, each block's slice of W_hh in shared
// memory, a grid-wide barrier (cooperative_groups' grid.sync) between steps. A plain launch could
// not barrier safely: only a cooperative launch guarantees that every block is resident at once,
// so none waits on a block that never got an SM. A thread's items are the same in every phase (the
// block's items tid, tid + 256, ...), so what a thread writes for its own element in one phase and
// reads in the next needs no barrier; only other blocks' h_{t-1} (dG_{t+1}) does.
#include <cooperative_groups.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "cuda/lstm.h"
#include "cuda/lstm_persist.cuh"
#include "cuda/runtime.cuh"

namespace vigil {
namespace cuda {

namespace {

using namespace rnnk;
namespace cg = cooperative_groups;

std::atomic<int> pathMode{static_cast<int>(RecurrentPath::Auto)};
std::atomic<int> lastRun[2] = {{static_cast<int>(RecurrentPath::Auto)}, {static_cast<int>(RecurrentPath::Auto)}};

__global__ void __launch_bounds__(kPersistThreads) persistentKernel(Fwd p, PersistPlan plan) {
  extern __shared__ float ws[];
  const cg::grid_group grid = cg::this_grid();
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t blk = blockIdx.x;
  persistLoad(tid, p, plan, blk, ws);
  __syncthreads();
  persistStart(tid, p, plan, blk);
  // The mask and h_{-1} of every unit are read by every block's first step. grid.sync() orders
  // memory at device scope: what a block wrote before it is visible to every block after it.
  grid.sync();
  for (int64_t t = 0; t < p.q.T; ++t) {
    persistStep(tid, p, plan, blk, ws, t);
    if (t + 1 < p.q.T) grid.sync();
  }
}

// The backward: the start phase touches only the block's own elements, so its first barrier is the
// one after step T-1.
__global__ void __launch_bounds__(kPersistThreads) persistentBackwardKernel(Bwd p, BwdStart st, PersistPlan plan) {
  extern __shared__ float ws[];
  const cg::grid_group grid = cg::this_grid();
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t blk = blockIdx.x;
  persistBackLoad(tid, p, plan, blk, ws);
  __syncthreads();
  persistBackStart(tid, p, st, plan, blk);
  for (int64_t t = p.q.T - 1; t >= -1; --t) {
    persistBackStep(tid, p, plan, blk, ws, t);
    if (t >= 0) grid.sync();
  }
}

// The launch with the plan's grid and the very dynamic shared memory its occupancy query counted.
template <class Kernel>
bool launchCooperative(Kernel kernel, const PersistPlan& plan, void** params, cudaStream_t stream, bool mayRefuse,
                       const std::string& where, const char* what) {
  const cudaError_t err = cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(kernel),
                                                      dim3(static_cast<unsigned>(plan.blocks)), dim3(kPersistThreads),
                                                      params, plan.sharedBytes, stream);
  if (err == cudaErrorCooperativeLaunchTooLarge && mayRefuse) {
    cudaGetLastError();  // not sticky: cleared, so the next launch's checkLaunch does not report it
    return false;
  }
  // The grid in the message: a refusal is about the grid's size, not the call's.
  const std::string call = std::string(what) + " (" + std::to_string(plan.blocks) + " blocks of " +
                           std::to_string(kPersistThreads) + " threads, " + std::to_string(plan.sharedBytes) +
                           " bytes of shared memory each)";
  check(err, where, call.c_str());
  return true;
}

}  // namespace

RecurrentPath setRecurrentPath(RecurrentPath path) {
  return static_cast<RecurrentPath>(pathMode.exchange(static_cast<int>(path)));
}
RecurrentPath recurrentPath() { return static_cast<RecurrentPath>(pathMode.load()); }
RecurrentPath lastRecurrentPath(bool backward) { return static_cast<RecurrentPath>(lastRun[backward ? 1 : 0].load()); }
void noteRecurrentPath(bool backward, RecurrentPath ran) { lastRun[backward ? 1 : 0].store(static_cast<int>(ran)); }

const char* persistentPlan(const Seq& q, bool backward, PersistPlan* plan, const std::string& where) {
  int dev = 0, coop = 0, sms = 0, smem = 0;
  check(cudaGetDevice(&dev), where, "cudaGetDevice");
  check(cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, dev), where,
        "cudaDeviceGetAttribute (cooperativeLaunch)");
  if (coop == 0) return "the device does not support cooperative launches";
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), where, "cudaDeviceGetAttribute (SM count)");
  check(cudaDeviceGetAttribute(&smem, cudaDevAttrMaxSharedMemoryPerBlock, dev), where,
        "cudaDeviceGetAttribute (shared memory per block)");
  const size_t budget = std::min(kPersistSharedBudget, static_cast<size_t>(smem));
  auto coResident = [&](size_t bytes) {
    int perSm = 0;
    const cudaError_t err =
        backward
            ? cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, persistentBackwardKernel, kPersistThreads, bytes)
            : cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, persistentKernel, kPersistThreads, bytes);
    check(err, where, "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
    return static_cast<int64_t>(perSm) * sms;
  };
  return planPersistent(q.H, q.G / q.H, budget, coResident, plan);
}

bool persistentLaunch(const Fwd& p, const PersistPlan& plan, cudaStream_t stream, bool mayRefuse,
                      const std::string& where) {
  Fwd args = p;
  PersistPlan pl = plan;
  void* params[] = {&args, &pl};
  return launchCooperative(persistentKernel, plan, params, stream, mayRefuse, where,
                           "cudaLaunchCooperativeKernel of the persistent recurrent forward");
}

bool persistentBackwardLaunch(const Bwd& p, const BwdStart& s, const PersistPlan& plan, cudaStream_t stream,
                              bool mayRefuse, const std::string& where) {
  Bwd args = p;
  BwdStart st = s;
  PersistPlan pl = plan;
  void* params[] = {&args, &st, &pl};
  return launchCooperative(persistentBackwardKernel, plan, params, stream, mayRefuse, where,
                           "cudaLaunchCooperativeKernel of the persistent recurrent backward");
}

}  // namespace cuda
}  // namespace vigil
