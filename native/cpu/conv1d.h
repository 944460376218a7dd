// 1-D convolution, stride 1, any kernel size and dilation, channels-last as Keras:
//   x [B, T, Cin], W [Cout, Cin, K] (PyTorch/ONNX layout), b [Cout], y [B, Tout, Cout],
//   y[b, t, o] = b[o] + sum_{k, c} W[o, c, k] * x[b, t + k*d - padLeft, c]  (x is 0 outside [0, T)).
// Padding: 'valid' (padLeft 0, Tout = T - (K-1)*d), 'same' (Tout = T, padLeft = floor((K-1)*d / 2),
// the odd element on the right as Keras and TensorFlow) or 'causal' (Tout = T, padLeft = (K-1)*d:
// y[t] sees x[<= t] only, as Keras and keras-tcn).
#pragma once
#include <cstdint>

namespace vigil {

enum class Conv1dPadding : int { Valid = 0, Same = 1, Causal = 2 };

struct Conv1dShape {
  int64_t batch, time, inChannels, outChannels, kernelSize, dilation;
  Conv1dPadding padding;
  int64_t span() const { return (kernelSize - 1) * dilation; }  // receptive field minus one
  int64_t outTime() const { return padding == Conv1dPadding::Valid ? time - span() : time; }
  int64_t padLeft() const {
    return padding == Conv1dPadding::Causal ? span() : padding == Conv1dPadding::Same ? span() / 2 : 0;
  }
};

// An activation applied as each output tile is stored (no second pass over y).
enum class Conv1dActivation : int { Linear = 0, Relu = 1 };

// y (overwritten) from x, W and b (nullptr: no bias), then the activation. Requires outTime() >= 1.
void conv1dForward(const Conv1dShape& s, const float* x, const float* W, const float* b, float* y,
                   Conv1dActivation act = Conv1dActivation::Linear);

// Gradients for dY [B, Tout, Cout]; each output may be nullptr to skip it, and all are overwritten
// (a layer sums over calls itself, as with dense): dX [B, T, Cin], dW [Cout, Cin, K], db [Cout].
// dW and db sum over batch and time in an order fixed by the shape alone, so they are
// bit-identical for any thread count.
// With a ReLU after the convolution, pass its output as reluOut [B, Tout, Cout] and dY as the
// gradient of that output: dZ [B, Tout, Cout] receives dY where reluOut > 0 and 0 elsewhere (the
// gradient of the convolution's own output), and the gradients follow from dZ.
void conv1dBackward(const Conv1dShape& s, const float* x, const float* W, const float* dY, float* dX, float* dW,
                    float* db, const float* reluOut = nullptr, float* dZ = nullptr);

// Internals shared by conv1d.cc and its SIMD files.
namespace conv1d_detail {
// One register tile of outputs: rows i < mr (consecutive output steps) x columns j < nr,
//   y[i*ldy + j] = init[j] + sum_{tap < taps} sum_{c < cin} x[tap][i*cin + c] * w[tap][c*ldw + j].
// x[tap] points at the input row the tile's first output reads through that tap (rows are cin
// apart); w[tap] at that tap's packed [cin][ldw] weights, already offset to the tile's columns.
// Every element sums in the same (tap, c) order wherever the tile sits.
struct Tile {
  const float* const* x;
  const float* const* w;
  int64_t taps, cin, ldw;
  const float* init;
  float* y;
  int64_t ldy;
  bool relu;  // store max(y, 0)
};
using TileKernel = void (*)(const Tile& t);

// One register tile of a weight gradient: rows i < rows (output channels) x columns j < cols
// (input channels), with rows <= mr and cols <= nr of the tile kernel of the same SIMD level,
//   out[i*ldo + j] = (accumulate ? out[i*ldo + j] : 0) + sum_{s < n} g[s*ldg + i] * x[s*ldx + j],
// summed in s order. Reads mr values of every g row (the caller pads a short last tile) and only
// `cols` of every x row.
struct GradTile {
  const float* g;
  int64_t ldg;
  const float* x;
  int64_t ldx, n, rows, cols;
  float* out;
  int64_t ldo;
  bool accumulate;
};
using GradKernel = void (*)(const GradTile& t);

#if defined(VIGIL_X86)
void tileAvx2(const Tile& t);  // 6 x 16
void gradTileAvx2(const GradTile& t);
void tileAvx512(const Tile& t);  // 14 x 32
void gradTileAvx512(const GradTile& t);
#endif
}  // namespace conv1d_detail

}  // namespace vigil
