// The persistent recurrent kernels (Diamos et al., "Persistent RNNs", ICML 2016): one cooperative
// grid runs all T steps of a forward (or of a backward), each block keeping its slice of W_hh in
// shared memory for the whole sequence instead of reading all of W_hh from device memory at every
// step, and one launch instead of T. Shared by the kernels (lstm_persist.cu) and their host
// emulation (host_grid.cc): the plan (which units each block owns, its shared memory), the phases of
// one thread, and the order of the phases.
//
// Block blk owns hidden units [blk·units, min(H, (blk+1)·units)) with the rows of all its gates
// (i, f, g, o for the LSTM), so the cell update of its units needs nothing from another block: the
// only data crossing blocks is h_{t-1} (and the dropout mask, written once), which a grid-wide
// barrier after each step makes visible. Every (sequence, unit) element goes through the per-step
// kernel's own forwardElementW (lstm_elem.h), with the slice's layout: the same fmaf chain, so
// the two paths give the same bits, and padded steps, lengths and recurrent dropout behave alike.
//
// Phases of a forward block: load (its slice of W_hh into shared memory), __syncthreads, start
// (initial states, mask, yMax of its units), grid barrier, then per step t: step, grid barrier (none
// after the last step). Inside a phase a thread takes the block's items tid, tid + kPersistThreads,
// ... The backward's phases are at the end of the file.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cuda/hd.h"
#include "cuda/lstm_elem.h"

namespace vigil {
namespace cuda {
namespace rnnk {

constexpr int64_t kPersistMaxHidden = 256;  // the bound: past it a slice per SM outgrows shared memory
constexpr int kPersistThreads = 256;
// Dynamic shared memory a block may use without the opt-in attribute (cudaFuncAttributeMaxDynamic-
// SharedMemorySize): 48 KiB on every GPU since Kepler. H = 256 LSTM's rows are 4 KiB per unit, so a
// block holds up to 12 units, and a device with 22 co-resident blocks or more runs it.
constexpr size_t kPersistSharedBudget = 48 * 1024;

struct PersistPlan {
  int64_t units;       // hidden units per block (the last block may own fewer)
  int64_t blocks;      // the grid: ceil(H / units), every block co-resident
  size_t sharedBytes;  // units · gates · H floats: the block's rows of W_hh
};

inline size_t persistSharedBytes(int64_t H, int64_t gatesPerHidden, int64_t units) {
  return sizeof(float) * static_cast<size_t>(units * gatesPerHidden * H);
}

// The plan with the fewest units per block (the most blocks, so the most parallel work per step)
// whose grid fits on the device at once, as a cooperative launch requires. coResident(bytes) is how
// many blocks of kPersistThreads threads using `bytes` of dynamic shared memory the device holds at
// once (the occupancy query times the SM count on a GPU). Returns null and fills *plan, or says why
// there is no plan.
template <class CoResident>
const char* planPersistent(int64_t H, int64_t gatesPerHidden, size_t budget, CoResident&& coResident,
                           PersistPlan* plan) {
  if (H < 1 || H > kPersistMaxHidden) return "hidden size over 256";
  for (int64_t units = 1; units <= H; ++units) {
    const size_t bytes = persistSharedBytes(H, gatesPerHidden, units);
    if (bytes > budget)
      return units == 1 ? "one unit's rows of W_hh do not fit in shared memory"
                        : "no slice of W_hh within the shared-memory budget gives a grid the device holds at once";
    const int64_t blocks = (H + units - 1) / units;
    // A smaller count of units than the last one tried gives the same grid: skip to the next that shrinks it.
    if (units > 1 && (H + units - 2) / (units - 1) == blocks) continue;
    if (blocks <= static_cast<int64_t>(coResident(bytes))) {
      *plan = PersistPlan{units, blocks, bytes};
      return nullptr;
    }
  }
  return "the device does not hold even one block at once";
}

// An occupancy model for the host emulation and the planner's test: `sms` multiprocessors, each
// holding up to blocksPerSm blocks and sharedPerSm bytes of shared memory.
inline int64_t modelCoResident(size_t bytes, int64_t sms, int64_t blocksPerSm, size_t sharedPerSm) {
  const int64_t bySmem = bytes == 0 ? blocksPerSm : static_cast<int64_t>(sharedPerSm / bytes);
  return sms * (bySmem < blocksPerSm ? bySmem : blocksPerSm);
}

// Block blk's units: [*j0, *j1).
VIGIL_HD void sliceOf(const PersistPlan& plan, int64_t H, int64_t blk, int64_t* j0, int64_t* j1) {
  *j0 = blk * plan.units;
  const int64_t end = *j0 + plan.units;
  *j1 = end < H ? end : H;
}

// The slice in shared memory is W_hh transposed restricted to the block's columns: ws[k·(nz·units)
// + g·units + u] = W_hh[g·H + j0 + u][k], so forwardElementW reads it with ldw = nz·units, gstride =
// units. Slots of units past H in the last block stay unwritten (never read).
VIGIL_HD void persistLoad(int tid, const Fwd& p, const PersistPlan& plan, int64_t blk, float* ws) {
  const Seq& q = p.q;
  const int64_t nz = q.G / q.H, row = nz * plan.units;
  int64_t j0, j1;
  sliceOf(plan, q.H, blk, &j0, &j1);
  for (int64_t i = tid; i < q.H * row; i += kPersistThreads) {
    const int64_t k = i / row, g = (i % row) / plan.units, u = i % plan.units;
    if (j0 + u < j1) ws[i] = p.wT[k * q.G + g * q.H + j0 + u];
  }
}

// The block's items: (sequence b, unit j0 + u) for i = b·units + u, so a warp's threads share a row
// of h_{t-1} when units is large and read one slice column each (broadcasts) when it is small.
VIGIL_HD void persistStart(int tid, const Fwd& p, const PersistPlan& plan, int64_t blk) {
  const Seq& q = p.q;
  int64_t j0, j1;
  sliceOf(plan, q.H, blk, &j0, &j1);
  for (int64_t i = tid; i < q.B * plan.units; i += kPersistThreads) {
    const int64_t b = i / plan.units, j = j0 + i % plan.units;
    if (j < j1) startElement(b * q.H + j, p);
  }
}

VIGIL_HD void persistStep(int tid, const Fwd& p, const PersistPlan& plan, int64_t blk, const float* ws, int64_t t) {
  const Seq& q = p.q;
  const int64_t nz = q.G / q.H;
  int64_t j0, j1;
  sliceOf(plan, q.H, blk, &j0, &j1);
  for (int64_t i = tid; i < q.B * plan.units; i += kPersistThreads) {
    const int64_t b = i / plan.units, u = i % plan.units;
    if (j0 + u < j1) forwardElementW(b * q.H + j0 + u, p, t, ws + u, nz * plan.units, plan.units);
  }
}

// The persistent forward's grids, in order: the input projection (as forwardChain), then the one
// cooperative grid (Gr::persistent).
template <class Gr>
void persistentChain(Gr& g, const Fwd& p, const PersistPlan& plan, const float* x, const float* wIh) {
  const Seq& q = p.q;
  if (p.tokens == nullptr) g.gemm(false, true, q.B * q.T, q.G, q.I, x, q.I, wIh, q.I, p.P, q.G);
  g.persistent(p, plan);
}

// The persistent backward (BPTT): the same plan and ownership, the block's slice of W_hh held by
// columns (its units' columns of all G rows: the W_hhᵀ slice of dh = dG_{t+1} · W_hh), steps T-1
// down to -1 each ending in a grid barrier, every element through the per-step kernel's own
// backwardElementW. The start phase writes only the block's own dh, dc and mask elements, which only
// the block reads, so no barrier follows it; a step reads every unit's dG_{t+1} (written by every
// block at the step before) and writes its own units' dG_t.
struct BwdStart {
  const float* dHlast;  // [B, H] or null
  const float* dCn;     // [B, H] or null (LSTM)
  float dropout;
  uint64_t seed, stream;
  float* mask;  // p.mask's buffer
};

// ws[k·units + u] = W_hh[k][j0 + u] for k < G (forwardElementW's slice has the same size).
VIGIL_HD void persistBackLoad(int tid, const Bwd& p, const PersistPlan& plan, int64_t blk, float* ws) {
  const Seq& q = p.q;
  int64_t j0, j1;
  sliceOf(plan, q.H, blk, &j0, &j1);
  for (int64_t i = tid; i < q.G * plan.units; i += kPersistThreads) {
    const int64_t k = i / plan.units, u = i % plan.units;
    if (j0 + u < j1) ws[i] = p.wHh[k * q.H + j0 + u];
  }
}

VIGIL_HD void persistBackStart(int tid, const Bwd& p, const BwdStart& s, const PersistPlan& plan, int64_t blk) {
  const Seq& q = p.q;
  int64_t j0, j1;
  sliceOf(plan, q.H, blk, &j0, &j1);
  for (int64_t i = tid; i < q.B * plan.units; i += kPersistThreads) {
    const int64_t b = i / plan.units, j = j0 + i % plan.units;
    if (j < j1) backwardStartElement(b * q.H + j, p, s.dHlast, s.dCn, s.dropout, s.seed, s.stream, s.mask);
  }
}

VIGIL_HD void persistBackStep(int tid, const Bwd& p, const PersistPlan& plan, int64_t blk, const float* ws,
                              int64_t t) {
  const Seq& q = p.q;
  int64_t j0, j1;
  sliceOf(plan, q.H, blk, &j0, &j1);
  for (int64_t i = tid; i < q.B * plan.units; i += kPersistThreads) {
    const int64_t b = i / plan.units, u = i % plan.units;
    if (j0 + u < j1) backwardElementW(b * q.H + j0 + u, p, t, ws + u, plan.units);
  }
}

// The persistent backward's grids, in order: the one cooperative grid (Gr::bpersistent), then the
// weight gradients as on the per-step path.
template <class Gr>
void persistentBackwardChain(Gr& g, const Bwd& p, const PersistPlan& plan, const BwdOut& o, const BwdStart& s) {
  g.bpersistent(p, s, plan);
  weightGradChain(g, p, o, s.dropout);
}

}  // namespace rnnk
}  // namespace cuda
}  // namespace vigil
