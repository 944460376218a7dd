#include "cpu/cpu_features.h"

#include <atomic>

namespace vigil {
namespace {
std::atomic<bool> gForceGeneric{false};
}

void forceGeneric(bool on) { gForceGeneric = on; }
bool useAvx2() { return hasAvx2Fma() && !gForceGeneric.load(std::memory_order_relaxed); }
const char* simdName() { return useAvx2() ? "avx2" : "generic"; }

}  // namespace vigil
