// 64-byte aligned float storage for the kernels' packed operands: panels start on cache lines, and
// the AVX2 GEMM uses aligned loads on packed B. One definition for gemm.cc, conv1d.cc and
// conv1d_winograd.cc.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

namespace vigil {

struct AlignedDelete {
  void operator()(float* p) const { ::operator delete[](p, std::align_val_t(64)); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedDelete>;

// n floats (at least 1), uninitialised.
inline AlignedFloats allocFloats(int64_t n) {
  return AlignedFloats(static_cast<float*>(::operator new[](sizeof(float) * std::max<int64_t>(n, 1), std::align_val_t(64))));
}

// n floats (at least 1), zero-filled: packed weights' padding columns must be 0.
inline AlignedFloats zeroFloats(int64_t n) {
  AlignedFloats p = allocFloats(n);
  std::memset(p.get(), 0, sizeof(float) * static_cast<size_t>(std::max<int64_t>(n, 1)));
  return p;
}

// a rounded up to a multiple of m.
inline int64_t roundUp(int64_t a, int64_t m) { return (a + m - 1) / m * m; }

}  // namespace vigil
