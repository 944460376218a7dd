// A barrier for the members of one parallel region (see threadpool.h) that must meet between the
// phases of a loop too fine for a region per phase: an RBM epoch meets twice per batch of ~30 us,
// where a region's wake-up and join would cost as much as the work.
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>

namespace vigil {

class SpinBarrier {
 public:
  // Returns once all `members` members (all passing the same count) have called wait() this round.
  // Spins briefly (the others are usually microseconds away), then yields so an oversubscribed
  // machine still makes progress.
  void wait(int members) {
    if (members <= 1) return;
    const uint32_t round = round_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == members) {
      arrived_.store(0, std::memory_order_relaxed);
      round_.fetch_add(1, std::memory_order_release);
      return;
    }
    for (int spins = 0; round_.load(std::memory_order_acquire) == round; ++spins) {
      if (spins < kSpins) {
        pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  static constexpr int kSpins = 4000;
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<uint32_t> round_{0};
};

}  // namespace vigil
