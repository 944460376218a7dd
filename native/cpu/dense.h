// Fully connected layer y = x W^T + b with PyTorch's layout: W [out, in], b [out].
#pragma once
#include <cstdint>

namespace vigil {

// x [N, in], W [out, in], b [out] or nullptr, y [N, out] (overwritten).
void denseForward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* b, float* y);

// Gradients for dY [N, out]; each output may be nullptr to skip it, all are overwritten:
// dX [N, in] = dY W, dW [out, in] = dY^T x, db [out] = column sums of dY (accumulated in
// double over the rows in order, so the same for any thread count).
void denseBackward(int64_t N, int64_t in, int64_t out, const float* x, const float* W, const float* dY, float* dX,
                   float* dW, float* db);

}  // namespace vigil
