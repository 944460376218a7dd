// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
// the one random generator of vigil. Counter-based, so element i of a stream is a pure
// function of (seed, stream, i): CPU threads and CUDA threads draw the same numbers in any
// order, and a seed gives the same dropout masks and samples on both backends.
#pragma once
#include <cstdint>

// VIGIL_HD: the generator is compiled into the CUDA kernels too (cuda/rbm_elem.h), where the same
// (seed, stream, i) gives the CPU's bits; one definition of the macro for every such header.
#include "cuda/hd.h"

namespace vigil {

struct Philox4 {
  uint32_t v[4];
};

VIGIL_HD uint32_t mulhilo32(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// counter = (c0, c1, c2, c3), key = (k0, k1); ten rounds as in the paper.
VIGIL_HD Philox4 philox4x32(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo32(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo32(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Uniform float in [0, 1) with 24 random bits: the top bits of one 32-bit draw.
VIGIL_HD float uint32ToUniform(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }

// The index-th uniform of stream `stream` under `seed`: four draws share one Philox block.
VIGIL_HD float philoxUniform(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t block = index >> 2;
  Philox4 r = philox4x32(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                         static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32),
                         static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  return uint32ToUniform(r.v[index & 3]);
}

}  // namespace vigil
