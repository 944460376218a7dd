// Filling arrays from the shared Philox stream (weight initialisers, noise): the same
// (seed, stream) gives the same numbers on any thread count and on CUDA.
#pragma once
#include <cstdint>

namespace vigil {

// out[i] = lo + (hi - lo) * philoxUniform(seed, stream, i)
void randomUniform(uint64_t seed, uint64_t stream, int64_t n, float lo, float hi, float* out);
// out[i] ~ N(mean, std^2) by Box-Muller over uniform pairs (2i, 2i+1) of the stream.
void randomNormal(uint64_t seed, uint64_t stream, int64_t n, float mean, float std, float* out);

}  // namespace vigil
