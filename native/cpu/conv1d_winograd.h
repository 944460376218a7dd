// Winograd F(m, 3) forward for kernel-size-3 Conv1D (cpu/conv1d.h's contract: any dilation and
// padding, channels-last, PyTorch weights, bias, fused ReLU). With dilation d the outputs
// t, t+d, ..., t+(m-1)d form one tile, which reads inputs t - padLeft + j*d, j < m+2. Per tile and
// (in, out) channel pair it spends m+2 multiply-adds where the direct kernel spends 3m, in
// m+2 channel GEMMs [tiles x Cin] x [Cin x Cout] run on the direct kernel's register tiles.
// Accuracy: the transforms mix a tile's m+2 input rows before the products, so each output's
// rounding error scales with the magnitudes of that whole window, not only of the 3 rows it reads
// (test/conv1d-winograd.test.ts's windowScale): next to one step 1e4 times larger than the rest, the
// other outputs of its tile are off by ~8e-4 of their own sum |W x| where the direct kernel is ~3e-7.
#pragma once
#include <cstdint>

#include "cpu/conv1d.h"

namespace vigil {

// Which algorithm conv1dForward and conv1dBackward's input gradient run (tests force each; the
// default picks by shape).
enum class Conv1dAlgorithm : int { Auto = 0, Direct = 1, Winograd = 2 };
// Returns the previous setting. Process-wide, for tests and benchmarks only.
Conv1dAlgorithm setConv1dAlgorithm(Conv1dAlgorithm a);

// Whether conv1dForward takes the Winograd path for this shape at the active SIMD level.
bool conv1dUsesWinograd(const Conv1dShape& s);

// The Winograd forward itself (kernelSize 3, AVX2 or AVX-512 active); same arguments as conv1dForward.
void conv1dWinogradForward(const Conv1dShape& s, const float* x, const float* W, const float* b, float* y,
                           Conv1dActivation act);

// The input gradient is the same product over dY with the kernel flipped in time (3 taps again):
// whether conv1dBackward takes this path for dX, and the path itself (dX overwritten).
bool conv1dUsesWinogradInputGrad(const Conv1dShape& s);
void conv1dWinogradInputGrad(const Conv1dShape& s, const float* W, const float* dY, float* dX);

namespace conv1d_detail {
// One SIMD level's transforms for F(4,3) (m = 4 outputs, n = 6 points):
//   input:  v[i*plane + c] = sum_j BT[i][j] rows[j][c] for i < n, c < C (rows[j]: input row j of
//           the tile, or a row of zeros outside the sequence);
//   output: out[i][c] = act(sum_j AT[i][j] mm[j*plane + c] + bias[c]) for i < rows (<= m), c < C.
struct WinogradTransforms {
  void (*input)(const float* const* rows, int64_t C, float* v, int64_t plane);
  void (*output)(const float* mm, int64_t plane, int64_t C, const float* bias, float* const* out, int64_t rows,
                 bool relu);
};
#if defined(VIGIL_X86)
WinogradTransforms winogradAvx2();  // F(4,3)
WinogradTransforms winogradAvx512();
#endif
}  // namespace conv1d_detail

}  // namespace vigil
