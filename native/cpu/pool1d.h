// Time-axis layers around Conv1D, channels-last [B, T, C] as Keras: MaxPooling1D, UpSampling1D and
// SpatialDropout1D.
#pragma once
#include <algorithm>
#include <cstdint>

namespace vigil {

// MaxPooling1D: windows of `pool` steps every `stride` steps. 'valid': Tout = (T - pool) / stride + 1
// (requires T >= pool); 'same': Tout = ceil(T / stride), the windows padded by
// max((Tout - 1) * stride + pool - T, 0) steps, floor(half) on the left, as Keras; padded steps never
// win, and every window holds at least one real step.
struct Pool1dShape {
  int64_t batch, time, channels, pool, stride;
  bool same;
  int64_t outTime() const { return same ? (time + stride - 1) / stride : (time - pool) / stride + 1; }
  int64_t padLeft() const {
    if (!same) return 0;
    return std::max<int64_t>((outTime() - 1) * stride + pool - time, 0) / 2;
  }
};

// y [B, Tout, C]; argmax [B, Tout, C] (nullable) receives the input step in [0, T) of each maximum,
// the earliest one on ties.
void maxPool1dForward(const Pool1dShape& s, const float* x, float* y, int32_t* argmax);
// dX [B, T, C] (overwritten) = dY routed to the steps argmax names, summed where windows overlap
// (in output-step order, so any thread count gives the same bits).
void maxPool1dBackward(const Pool1dShape& s, const int32_t* argmax, const float* dY, float* dX);

// UpSampling1D: y [B, T*size, C], y[b, t*size + r, c] = x[b, t, c].
void upSampling1dForward(int64_t B, int64_t T, int64_t C, int64_t size, const float* x, float* y);
// dX[b, t, c] = sum over r < size of dY[b, t*size + r, c], in r order.
void upSampling1dBackward(int64_t B, int64_t T, int64_t C, int64_t size, const float* dY, float* dX);

// SpatialDropout1D: one keep/drop draw per (sequence, channel), shared by all its steps:
// y[b, t, c] = x[b, t, c] * f[b, c], where f[b, c] is exactly the factor dropoutForward (cpu/dropout.h)
// gives element b*C + c under the same rate, seed and stream (0 or 1 / (1 - rate)). mask [B, C]
// (nullable) receives f. The backward pass is the same call on dY.
void spatialDropout1d(int64_t B, int64_t T, int64_t C, double rate, uint64_t seed, uint64_t stream, const float* x,
                      float* y, float* mask);

}  // namespace vigil
