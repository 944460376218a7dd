// The training step's device entry points: device pointers in and out, work enqueued on the
// caller's stream, nothing copied to or from the host. These are what a fit on the GPU composes so
// that its tensors stay on the device between steps (the session, session.cu, composes them). The
// bindings reach them through host-memory wrappers (cuda/<family>.h) that copy
// the operands up, call these, and copy the results back. Each throws CudaError naming `where`
// (the kernel and its sizes) when a launch fails. CUDA translation units only.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "cpu/activation.h"
#include "cpu/lstm.h"
#include "cuda/clip.h"
#include "cuda/clip_elem.h"
#include "cuda/dropout_elem.h"
#include "cuda/loss_elem.h"
#include "cuda/optimizer_elem.h"

namespace vigil {
namespace cuda {
namespace dev {

// C = alpha op(A) op(B) + beta C (cpu/gemm.h's contract). tf32: TF32 tensor cores (mma.sync through
// wmma, sm_80+) where the device has them, the float32 kernel otherwise.
void sgemm(cudaStream_t s, const std::string& where, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, bool tf32 = false);

void activationForward(cudaStream_t s, const std::string& where, Activation kind, int64_t n, const float* x, float* y);
void activationBackward(cudaStream_t s, const std::string& where, Activation kind, int64_t n, const float* y,
                        const float* dY, float* dX);
void softmaxForward(cudaStream_t s, const std::string& where, int64_t N, int64_t C, const float* x, float* y);
void softmaxBackward(cudaStream_t s, const std::string& where, int64_t N, int64_t C, const float* y, const float* dY,
                     float* dX);

// rows.weighted is device scratch of N doubles; *out (device) receives the loss.
void loss(cudaStream_t s, const std::string& where, const lossk::Rows& rows, double* out);

// y [N, out] += b; db [out] = column sums of dY [N, out].
void biasAdd(cudaStream_t s, const std::string& where, int64_t N, int64_t out, const float* b, float* y);
void biasGrad(cudaStream_t s, const std::string& where, int64_t N, int64_t out, const float* dY, float* db);

void embeddingGather(cudaStream_t s, const std::string& where, int64_t E, int64_t N, const int32_t* ids,
                     const float* table, float* out);
void embeddingScatter(cudaStream_t s, const std::string& where, int64_t V, int64_t E, int64_t N, const int32_t* ids,
                      const float* dOut, float* dTable);

void dropoutForward(cudaStream_t s, const std::string& where, int64_t n, const dropk::Mask& m, const float* x, float* y,
                    float* mask);
void dropoutSequences(cudaStream_t s, const std::string& where, int64_t B, int64_t T, int64_t F, const int32_t* lengths,
                      const dropk::Mask& m, const float* x, float* y);
void dropoutApplyMask(cudaStream_t s, const std::string& where, int64_t n, const float* mask, const float* dY, float* dX);

void sgdStep(cudaStream_t s, const std::string& where, int64_t n, const optk::Sgd& o);
void adamStep(cudaStream_t s, const std::string& where, int64_t n, const optk::Adam& o);
void rmspropStep(cudaStream_t s, const std::string& where, int64_t n, const optk::Rmsprop& o);
void nadamStep(cudaStream_t s, const std::string& where, int64_t n, const optk::Nadam& o);

// clip.h's clipGradients over device memory (g and out may be the same array): tensor j of the
// `count` laid end to end is sizes[j] (host memory) floats; the norms' sums in stream-ordered scratch.
void clipGradients(cudaStream_t s, const std::string& where, ClipMode mode, double c, int64_t count,
                   const int64_t* sizes, const float* g, float* out);

// The LSTM (lstm) or SimpleRNN over device memory (lstm.cu): a's pointers (x, wIh, bias, tokens,
// table, wHh, lengths) are the device's, h0 / c0 are zeros, padding 'pre' or 'post' as a says.
// The forward writes the training cache (or null), y [B, T, H] and hLast [B, H] (each may be
// null); the backward reads the cache (writing the gate gradients over it, as the CPU does) and
// overwrites d's outputs. hostTokens / hostLengths: the batch's tokens and lengths in host memory
// (gather mode's dTable lists are sorted there).
void recurrentForward(cudaStream_t s, const std::string& where, bool lstm, const RecurrentArgs& a, float* cache, float* y,
                      float* hLast);
void recurrentBackward(cudaStream_t s, const std::string& where, bool lstm, const RecurrentArgs& a,
                       const int32_t* hostTokens, const int32_t* hostLengths, float* cache, const RecurrentGrads& d);

}  // namespace dev
}  // namespace cuda
}  // namespace vigil
