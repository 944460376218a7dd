#include "cpu/threadpool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil {
namespace {

// Workers spin briefly before sleeping: an LSTM launches one region per time step (tens of
// microseconds each), where a condition-variable wake-up alone would cost as much as the work.
constexpr int kSpinIterations = 20000;

thread_local bool tInsideRegion = false;

class Pool {
 public:
  Pool() { resize(defaultThreads()); }
  ~Pool() { stopWorkers(); }

  static int defaultThreads() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(std::min(n, 256u));
  }

  // The count asked for last; the pool takes it on before its next region at the latest.
  int size() const { return wanted_.load(); }

  // The chunk count of the region the calling member runs in (read by its chunks while it runs).
  int regionChunks() const { return jobChunks_; }

  // Never waits for a running region: setNumThreads is called on the event loop, and a worker
  // running region after region (an RBM epoch, an LSTM's steps) would keep the lock for the whole
  // job. When a region holds the lock, the next region applies the count (run() below).
  void resize(int n) {
    wanted_.store(n);
    std::unique_lock<std::mutex> region(regionMutex_, std::try_to_lock);
    if (region.owns_lock()) applyWanted();
  }

  int run(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn) {
    if (n <= 0) return 0;
    grain = std::max<int64_t>(grain, 1);
    int64_t maxChunks = (n + grain - 1) / grain;
    if (tInsideRegion || wanted_.load() == 1 || maxChunks == 1) {
      fn(0, 0, n);
      return 1;
    }
    std::unique_lock<std::mutex> region(regionMutex_);
    applyWanted();
    if (nThreads_ == 1) {  // a count of 1 taken on just now: inline, without holding the lock
      region.unlock();
      fn(0, 0, n);
      return 1;
    }
    int chunks = static_cast<int>(std::min<int64_t>(nThreads_, maxChunks));
    job_ = &fn;
    jobN_ = n;
    jobChunks_ = chunks;
    pending_.store(chunks - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(wakeMutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    tInsideRegion = true;
    runChunk(0);
    tInsideRegion = false;
    // Wait for the other chunks; they are short, so spin, then yield.
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins > kSpinIterations) std::this_thread::yield();
    }
    job_ = nullptr;
    return chunks;
  }

 private:
  void runChunk(int c) {
    int64_t begin = jobN_ * c / jobChunks_;
    int64_t end = jobN_ * (c + 1) / jobChunks_;
    if (begin < end) (*job_)(c, begin, end);
  }

  void workerLoop(int index, uint64_t seen) {
    tInsideRegion = true;
    for (;;) {
      uint64_t g;
      int spins = 0;
      while ((g = generation_.load(std::memory_order_acquire)) == seen && !stop_.load()) {
        if (++spins > kSpinIterations) {
          std::unique_lock<std::mutex> lk(wakeMutex_);
          wake_.wait(lk, [&] { return generation_.load() != seen || stop_.load(); });
        }
      }
      if (stop_.load()) return;
      seen = g;
      if (index < jobChunks_) {
        runChunk(index);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  // Starts or stops workers to match wanted_; the caller holds regionMutex_ (no region runs).
  void applyWanted() {
    const int n = wanted_.load();
    if (n == nThreads_) return;
    stopWorkers();
    nThreads_ = n;
    stop_ = false;
    // Workers start from the current generation so none can miss a region begun before it ran.
    uint64_t start = generation_.load();
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, start] { workerLoop(i, start); });
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lk(wakeMutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int nThreads_ = 1;                // workers + the caller, changed only under regionMutex_
  std::atomic<int> wanted_{1};
  std::vector<std::thread> workers_;
  std::mutex regionMutex_;
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int, int64_t, int64_t)>* job_ = nullptr;
  int64_t jobN_ = 0;
  int jobChunks_ = 1;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

int getNumThreads() { return pool().size(); }
void setNumThreads(int n) { pool().resize(std::max(1, n)); }

int parallelChunks(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn) {
  return pool().run(n, grain, fn);
}

int parallelTeam(int maxMembers, const std::function<void(int, int)>& fn) {
  Pool& p = pool();
  int members = 1;
  // run() decides the chunk count under its lock (the thread count may change until then); a
  // call covering all of [0, n) is the inline case, as a parallel region has at least 2 chunks.
  p.run(std::max(maxMembers, 1), 1, [&](int c, int64_t b, int64_t e) {
    if (b == 0 && e == std::max(maxMembers, 1)) {
      fn(0, 1);
    } else {
      const int m = p.regionChunks();
      if (c == 0) members = m;
      fn(c, m);
    }
  });
  return members;
}

void parallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  pool().run(n, grain, [&](int, int64_t b, int64_t e) { fn(b, e); });
}

}  // namespace vigil
