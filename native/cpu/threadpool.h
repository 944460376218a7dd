// The one thread pool behind every CPU kernel.
#pragma once
#include <cstdint>
#include <functional>

namespace vigil {

// Number of threads kernels split their work over (the caller's thread counts as one).
// Defaults to the number of cores; 1 means everything runs on the calling thread.
int getNumThreads();
void setNumThreads(int n);

// Calls fn(begin, end) over contiguous chunks covering [0, n), at most one chunk per thread
// and each at least `grain` long. The split depends only on n, grain and the thread count and
// every index is handled by exactly one call, so a kernel that writes disjoint outputs per index
// (and reduces in a fixed order inside them) gives bit-identical results for any thread count.
// Regions are serialised: concurrent callers (several async kernels on libuv threads) take
// turns, and a parallelFor inside a chunk runs inline on that chunk's thread.
void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Same split, chunk index given: for kernels that keep per-thread scratch or partial sums.
// Returns the number of chunks used. fn(chunk, begin, end).
int parallelChunks(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn);

// Runs fn(member, members) once on each of `members` threads at the same time, members =
// min(maxMembers, thread count) (1 inside a region, where it runs inline): for kernels whose
// members meet at barriers (spin_barrier.h) and so must know how many run. Returns members.
int parallelTeam(int maxMembers, const std::function<void(int, int)>& fn);

}  // namespace vigil
