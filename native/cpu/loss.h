// Losses over [N, C] predictions: value and gradient in one pass. Reduction is Keras'
// "sum_over_batch_size": loss = sum_i w_i * l_i / N, l_i the per-sample loss (mean over the C
// columns for the element-wise losses), w_i = 1 without weights. Per-sample losses are summed
// in double in sample order, so the value is the same for any thread count.
// grad (same shape as the predictions) may be nullptr to compute the value only; it is overwritten.
#pragma once
#include <cstdint>

namespace vigil {

// Binary cross-entropy on logits z, targets y in [0, 1]:
// l = max(z, 0) - z y + log1p(exp(-|z|)) (never overflows), d/dz = sigmoid(z) - y.
double binaryCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* y, const float* w, float* grad);

// Softmax cross-entropy on logits with integer labels in [0, C): l = logsumexp(z) - z[label].
double sparseCategoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const int32_t* labels,
                                           const float* w, float* grad);

// Softmax cross-entropy on logits with target distributions t (one-hot or probabilities):
// l = sum_c t_c (logsumexp(z) - z_c), d/dz_c = softmax_c * sum(t) - t_c.
double categoricalCrossentropyLogits(int64_t N, int64_t C, const float* z, const float* t, const float* w,
                                     float* grad);

// l = mean_c (p - t)^2.
double meanSquaredError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad);
// l = mean_c |p - t|; the gradient takes sign(0) = 0.
double meanAbsoluteError(int64_t N, int64_t C, const float* p, const float* t, const float* w, float* grad);

}  // namespace vigil
