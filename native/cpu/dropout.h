// Inverted dropout driven by the counter-based Philox stream: element i is kept iff
// philoxUniform(seed, stream, i) >= rate and kept values are scaled by 1 / (1 - rate), so the
// mask is a pure function of (seed, stream, i): any thread split and the CUDA kernels agree, and
// backward can regenerate it instead of storing it.
#pragma once
#include <cstdint>

namespace vigil {

// y = x * keep_i * scale; mask (nullable) receives keep_i * scale. rate in [0, 1).
void dropoutForward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y, float* mask);
// dX = dY * keep_i * scale with the same seed/stream as the forward call.
void dropoutBackward(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* dY, float* dX);
// dX = dY * mask, from a mask saved by dropoutForward.
void dropoutApplyMask(int64_t n, const float* mask, const float* dY, float* dX);

}  // namespace vigil
