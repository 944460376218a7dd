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

// Sequences [B, T, F] 'pre'-padded with lengths [B] (each in [0, T]): the valid steps of sequence b
// are its last lengths[b]. Valid elements get exactly the factor dropoutForward gives that element
// index (b*T + t)*F + f, so packed and unpacked runs agree on every valid step; padded elements are
// written as 0 and draw no random numbers (a recurrent layer ignores them; its own padded outputs
// are 0 too). The backward (dY -> dX) is the same map.
void dropoutSequences(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed,
                      uint64_t stream, const float* x, float* y);

namespace dropout {
// keep iff philoxUniform >= rate  <=>  (draw >> 8) >= threshold, as integers (the uniform is
// (draw >> 8) / 2^24 exactly, so this is the same comparison).
uint32_t keepThreshold(double rate);
// y[i] = x[i] * factor_i (mask[i] = factor_i when mask is not null) for i in [b, e).
void range(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream, const float* x,
           float* y, float* mask);
// The portable path of range (the SIMD paths use it for their unaligned ends).
void rangePortable(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream,
                   const float* x, float* y, float* mask);
}  // namespace dropout

#if defined(VIGIL_X86)
// The same as dropout::range, 8 (AVX2) or 16 (AVX-512) Philox blocks per iteration; identical bits.
namespace avx2 {
void dropoutRange(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream,
                  const float* x, float* y, float* mask);
}
namespace avx512 {
void dropoutRange(int64_t b, int64_t e, uint32_t threshold, float scale, uint64_t seed, uint64_t stream,
                  const float* x, float* y, float* mask);
}
#endif

}  // namespace vigil
