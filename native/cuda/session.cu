// The session's CUDA backend (session.h): the step logic of session_step.h over device memory,
// every operation enqueued on the session's one stream through the cuda::dev:: entry points
// (train.cuh). Host memory is touched only by up / down, which go through runtime.cu's pinned
// staging buffers; the loss and the predictions are the only results a step brings back.
#include <numeric>
#include <string>
#include <vector>

#include "cpu/dropout.h"
#include "cpu/optimizer.h"
#include "cuda/launch.cuh"
#include "cuda/runtime.cuh"
#include "cuda/session.h"
#include "cuda/session_elem.h"
#include "cuda/session_step.h"
#include "cuda/train.cuh"

namespace vigil {
namespace cuda {
namespace session {

namespace {

struct MaxForward {
  int64_t T, F;
  const int32_t* lengths;
  const float* x;
  float* y;
  int32_t* arg;
  __device__ void operator()(int64_t e) const { poolk::maxForwardElement(e, T, F, lengths, x, y, arg); }
};
VIGIL_EACH_KERNEL(maxForwardKernel, MaxForward)

struct MaxBackward {
  const int32_t* arg;
  const float* dY;
  float* dX;
  __device__ void operator()(int64_t e) const { poolk::maxBackwardElement(e, arg, dY, dX); }
};
VIGIL_EACH_KERNEL(maxBackwardKernel, MaxBackward)

std::string dims(const char* op, std::initializer_list<int64_t> d) {
  std::string s = std::string("session ") + op + " (";
  for (int64_t v : d) s += (s.back() == '(' ? "" : ", ") + std::to_string(v);
  return s + ")";
}

struct CudaBackend {
  // Weights, state and activations: plain cudaMalloc (they live as long as the session); scratch
  // inside an operation comes from the stream-ordered pool (the dev:: entry points).
  template <class T>
  using Buf = DeviceBuffer<T>;

  Stream stream{"session (creating its stream)"};
  cudaStream_t st() const { return stream.get(); }

  template <class T>
  Buf<T> alloc(int64_t n) {
    bytes_ += n * static_cast<int64_t>(sizeof(T));
    return Buf<T>(static_cast<size_t>(n), nullptr, dims("alloc", {n * static_cast<int64_t>(sizeof(T))}));
  }
  int64_t bytes() const { return bytes_; }
  std::string where() const { return "session"; }

  template <class T>
  void up(T* dst, const T* src, int64_t n) {
    upload(dst, src, sizeof(T) * static_cast<size_t>(n), st(), dims("upload", {n}));
  }
  template <class T>
  void down(T* dst, const T* src, int64_t n) {
    download(dst, src, sizeof(T) * static_cast<size_t>(n), st(), dims("download", {n}));
  }
  void zero(float* p, int64_t n) {
    check(cudaMemsetAsync(p, 0, sizeof(float) * static_cast<size_t>(n), st()), dims("zero", {n}), "cudaMemsetAsync");
  }

  void sync() { stream.sync("session (waiting for its stream)"); }

  void gemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
            float* C, int64_t ldc) {
    // Float32 (not TF32): the session must follow the CPU fit within float32 rounding.
    dev::sgemm(st(), dims("sgemm", {M, N, K}), tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, false);
  }
  void gather(int64_t E, int64_t N, const int32_t* ids, const float* table, float* out) {
    dev::embeddingGather(st(), dims("embeddingGather", {E, N}), E, N, ids, table, out);
  }
  void scatter(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable) {
    dev::embeddingScatter(st(), dims("embeddingScatter", {V, E, N}), V, E, N, ids, dOut, dTable);
  }
  void biasAdd(int64_t N, int64_t out, const float* b, float* y) { dev::biasAdd(st(), dims("biasAdd", {N, out}), N, out, b, y); }
  void biasGrad(int64_t N, int64_t out, const float* dY, float* db) {
    dev::biasGrad(st(), dims("biasGrad", {N, out}), N, out, dY, db);
  }
  void act(Activation k, int64_t n, const float* x, float* y) { dev::activationForward(st(), dims("activation", {n}), k, n, x, y); }
  void actBack(Activation k, int64_t n, const float* y, const float* dY, float* dX) {
    dev::activationBackward(st(), dims("activationBackward", {n}), k, n, y, dY, dX);
  }
  void softmax(int64_t N, int64_t C, const float* x, float* y) { dev::softmaxForward(st(), dims("softmax", {N, C}), N, C, x, y); }
  void softmaxBack(int64_t N, int64_t C, const float* y, const float* dY, float* dX) {
    dev::softmaxBackward(st(), dims("softmaxBackward", {N, C}), N, C, y, dY, dX);
  }
  void loss(const lossk::Rows& r, double* out) { dev::loss(st(), dims("loss", {r.N, r.C}), r, out); }
  void recurrentForward(bool lstm, const RecurrentArgs& a, float* cache, float* y, float* hLast) {
    dev::recurrentForward(st(), dims(lstm ? "lstmForward" : "rnnForward", {a.B, a.T, a.I, a.H}), lstm, a, cache, y, hLast);
  }
  void recurrentBackward(bool lstm, const RecurrentArgs& a, const int32_t* hostTokens, const int32_t* hostLengths,
                         float* cache, const RecurrentGrads& g) {
    dev::recurrentBackward(st(), dims(lstm ? "lstmBackward" : "rnnBackward", {a.B, a.T, a.I, a.H}), lstm, a, hostTokens,
                           hostLengths, cache, g);
  }
  void maxPool(int64_t B, int64_t T, int64_t F, const int32_t* lengths, const float* x, float* y, int32_t* arg) {
    launchEach(maxForwardKernel, B * F, MaxForward{T, F, lengths, x, y, arg}, st(), dims("maxPool", {B, T, F}),
               "maxForwardKernel launch");
  }
  void maxPoolBack(int64_t n, const int32_t* arg, const float* dY, float* dX) {
    launchEach(maxBackwardKernel, n, MaxBackward{arg, dY, dX}, st(), dims("maxPoolBackward", {n}), "maxBackwardKernel launch");
  }
  static dropk::Mask maskOf(double rate, uint64_t seed, uint64_t stream) {
    return dropk::Mask{dropout::keepThreshold(rate), static_cast<float>(1.0 / (1.0 - rate)), seed, stream};
  }
  void dropout(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y) {
    dev::dropoutForward(st(), dims("dropout", {n}), n, maskOf(rate, seed, stream), x, y, nullptr);
  }
  void dropoutSeq(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed, uint64_t stream,
                  const float* x, float* y) {
    dev::dropoutSequences(st(), dims("dropoutSequences", {B, T, F}), B, T, F, lengths, maskOf(rate, seed, stream), x, y);
  }
  void clip(ClipMode mode, double c, const std::vector<int64_t>& sizes, float* g) {
    const int64_t count = static_cast<int64_t>(sizes.size());
    dev::clipGradients(st(), dims("clip", {count, std::accumulate(sizes.begin(), sizes.end(), int64_t(0))}), mode, c, count,
                       sizes.data(), g, g);
  }
  void sgd(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v) {
    dev::sgdStep(st(), dims("sgdStep", {n}), n, optk::Sgd{lr, momentum, nesterov, p, momentum != 0.0f ? v : nullptr, g});
  }
  void adam(int64_t n, int64_t t, float lr, float b1, float b2, float eps, float* p, const float* g, float* m, float* v,
            float* vHat) {
    dev::adamStep(st(), dims("adamStep", {n}), n,
                  optk::Adam{adamAlpha(t, lr, b1, b2), 1.0f - b1, 1.0f - b2, eps, p, m, v, vHat, g});
  }
  void rmsprop(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v, float* mom,
               float* avg) {
    dev::rmspropStep(st(), dims("rmspropStep", {n}), n,
                     optk::Rmsprop{lr, rho, 1.0f - rho, momentum, eps, p, v, momentum > 0.0f ? mom : nullptr, avg, g});
  }
  void nadam(int64_t n, int64_t t, float lr, float b1, float b2, float eps, float* p, const float* g, float* m,
             float* v) {
    const NadamScalars c = nadamScalars(t, b1, b2);
    dev::nadamStep(st(), dims("nadamStep", {n}), n, optk::Nadam{lr, c.cM, c.cG, c.cV, 1.0f - b1, 1.0f - b2, eps, p, m, v, g});
  }

 private:
  int64_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<Session> makeCudaSession(const Spec& s) { return std::make_unique<SessionT<CudaBackend>>(s); }

}  // namespace session
}  // namespace cuda
}  // namespace vigil
