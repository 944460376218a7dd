// SimpleRNN (tanh) over whole sequences: h_t = tanh(x_t W_ihᵀ + (h_{t-1} ⊙ mask) W_hhᵀ + b).
// Same conventions as lstm.h with G = H and no cell state: W_ih [H, I], W_hh [H, H], bias [H],
// dense or gather input (table [V, H] from foldEmbedding with G = H), lengths and padding,
// variational recurrent dropout on h_{t-1}, training cache then backward.
// Cache layout (rnnCacheSize floats): two time-major planes, h_t [T, B, H] (before dropout; padded
// slots hold the carried state) and [T, B, H] scratch the backward writes its gradients into.
// The backward consumes the cache (one backward per training forward), as the LSTM's does.
#pragma once
#include <cstdint>

#include "cpu/lstm.h"

namespace vigil {

int64_t rnnCacheSize(int64_t B, int64_t T, int64_t H);
// c arguments are unused (the RNN has no cell state); the signature matches the LSTM's for the glue.
void rnnForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
void rnnBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);

}  // namespace vigil
