// Restricted Boltzmann machines with binary hidden units and Bernoulli or unit-variance Gaussian
// visible units, trained by contrastive divergence (CD-k) or persistent CD (Tieleman 2008).
//
// Layout (scikit-learn's BernoulliRBM, PyTorch's Linear): W [H, V] (components_), visible bias
// b [V] (intercept_visible_), hidden bias c [H] (intercept_hidden_). Data are rows [N, V].
//   p(h_j = 1 | v) = sigmoid(c_j + W_j . v)
//   Bernoulli visibles: p(v_i = 1 | h) = sigmoid(b_i + h . W_:i)
//   Gaussian visibles (variance 1): v_i | h ~ N(b_i + h . W_:i, 1)
//   free energy F(v) = -b . v - sum_j softplus(c_j + W_j . v)          (Bernoulli)
//                      |v - b|^2 / 2 - sum_j softplus(c_j + W_j . v)    (Gaussian)
//
// Random draws come from the shared Philox stream (cpu/philox.h): a Bernoulli sample of
// probability p at draw index i is 1 iff philoxUniform(seed, stream, i) < p, so samples are a
// pure function of (seed, stream, i) and identical for any thread count. Products go through
// sgemm (bit-identical for any thread count); column sums run in double over rows in order.
#pragma once
#include <cstdint>

namespace vigil {

enum class RbmVisible : int { Bernoulli = 0, Gaussian = 1 };

// P[N, H] = sigmoid(x W^T + c).
void rbmHiddenProbs(int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* c, float* P);

// X[N, V] = the visible means given hidden values h [N, H]: sigmoid(b + h W) for Bernoulli
// visibles, b + h W for Gaussian ones.
void rbmVisibleMeans(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* h, const float* W, const float* b,
                     float* X);

// out[i] = 1 if philoxUniform(seed, stream, offset + i) < p[i] else 0, for i in [0, n). out may be p.
void rbmSampleBernoulli(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out);

// F[N]: the free energy of each row (sums in double, rounded once).
void rbmFreeEnergy(RbmVisible vis, int64_t N, int64_t V, int64_t H, const float* x, const float* W, const float* b,
                   const float* c, float* F);

// Gibbs-chain settings of one CD-k / PCD-k gradient.
struct RbmChain {
  RbmVisible visible;
  int gibbsSteps;  // k >= 1
  bool persistent;
};

// Draws of one batch of m rows lie in one Philox stream, at fixed offsets (so a test can replay
// them with randomUniform(seed, stream)): with S = m*H + m*V, step s in [0, k) samples hidden
// units from draws [s*S, s*S + m*H) (index r*H + j) and Bernoulli visibles from
// [s*S + m*H, (s+1)*S) (index r*V + i; Gaussian visibles take the mean and draw nothing); PCD
// stores the chain's new hidden state from draws [k*S, k*S + m*H).
//
// Chain: h_0 ~ p(h | v_0) from the data. CD starts the chain at h_0, PCD at `chain` (the persistent
// hidden states, [m, H], updated in place). Step s: v_{s+1} = a sample of p(v | h_s) (Bernoulli)
// or its mean (Gaussian, as Hinton's practical guide advises), then p_{s+1} = p(h | v_{s+1}), and
// h_{s+1} ~ p_{s+1} when another step follows. The gradient uses hidden probabilities on both
// sides (scikit-learn's and Hinton's choice):
//   dW = (p_0^T v_0 - p_k^T v_k) / m,  db = mean(v_0 - v_k),  dc = mean(p_0 - p_k).
// Returns the summed squared reconstruction error sum (v_0 - E[v | h_0])^2 over the batch, where
// h_0 is the data-driven hidden sample above (CD's first step; PCD computes it aside).
double rbmCdGradient(const RbmChain& chain, int64_t m, int64_t V, int64_t H, const float* v0, const float* W,
                     const float* b, const float* c, float* persistentH, uint64_t seed, uint64_t stream, float* dW,
                     float* db, float* dc);

// Minibatch training settings for rbmTrainEpoch.
struct RbmTrainOptions {
  RbmChain chain;
  int64_t batchSize;
  float learningRate;
  float momentum;
  float weightDecay;  // L2 on W only (Hinton: biases are not decayed)
  uint64_t seed;
  uint64_t epoch;  // selects the epoch's streams (below 2^20)
};

// The stream of batch t of epoch e: 2^52 + e * 2^32 + t (below 2^53, so JS can replay it; streams
// under 2^52 are left to initialisers and shuffles).
uint64_t rbmBatchStream(uint64_t epoch, uint64_t batch);

// One epoch: batches of rows x[order[t*B .. min(N, (t+1)*B))], each a momentum SGD step on the
// CD/PCD gradient:  vel = momentum * vel + lr * (grad - weightDecay * W)  (no decay for biases),
// param += vel. persistentH is [B, H] (PCD; a short last batch uses its first rows) or nullptr.
// Returns the mean squared reconstruction error over the epoch's N x V values.
double rbmTrainEpoch(const RbmTrainOptions& o, int64_t N, int64_t V, int64_t H, const float* x, const int32_t* order,
                     float* W, float* b, float* c, float* velW, float* velB, float* velC, float* persistentH);

namespace rbm_detail {
// out[i] = 1 if philoxUniform(seed, stream, offset + i) < p[i] else 0 for i in [0, n), one thread,
// portable; the SIMD paths below give the same bits and use it for their unaligned ends.
void sampleSpanPortable(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out);
// Stable softplus log(1 + e^z) and sigmoid in float.
float softplus(float z);
float sigmoid(float z);
// sum_j softplus(z_j + c_j) over j in [0, H), portable; the SIMD paths below sum lane-wise first.
double softplusSum(int64_t H, const float* z, const float* c);
// sum_i (x_i - y_i)^2 over [0, n) in double; the SIMD paths sum lane-wise first.
double squaredError(int64_t n, const float* x, const float* y);
// sums[i] += a[r][i] + sign * b[r][i] over rows r of [m, width] (row stride ld) in order, in double
// (every path gives the same bits: each column is one chain of double additions, so any split of
// the columns does too).
void columnSums(int64_t m, int64_t width, int64_t ld, const float* a, const float* b, double sign, double* sums);
}  // namespace rbm_detail

#if defined(VIGIL_X86)
namespace avx2 {
void rbmSampleSpan(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out);
double rbmSoftplusSum(int64_t H, const float* z, const float* c);
// Rows [0, n) of A [n, width]: A += bias, then the sigmoid when squash.
void rbmBiasRows(int64_t n, int64_t width, const float* bias, bool squash, float* A);
double rbmSquaredError(int64_t n, const float* x, const float* y);
void rbmColumnSums(int64_t m, int64_t width, int64_t ld, const float* a, const float* b, double sign, double* sums);
}
namespace avx512 {
void rbmSampleSpan(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, const float* p, float* out);
double rbmSoftplusSum(int64_t H, const float* z, const float* c);
void rbmBiasRows(int64_t n, int64_t width, const float* bias, bool squash, float* A);
double rbmSquaredError(int64_t n, const float* x, const float* y);
void rbmColumnSums(int64_t m, int64_t width, int64_t ld, const float* a, const float* b, double sign, double* sums);
}
#endif

}  // namespace vigil
