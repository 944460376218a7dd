// The session's host backend: memory is std::vector, each grid is the cuda::host:: emulation of
// the kernel the CUDA backend launches (host_grid.cc, host_grid_train.cc) or a loop over the same
// element function (session_elem.h). Compiled into every build so that `npm test` runs the
// session's step logic (session_step.h) against the CPU fit without a GPU.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cuda/activation.h"
#include "cuda/clip.h"
#include "cuda/dense_elem.h"
#include "cuda/dropout.h"
#include "cuda/embedding.h"
#include "cuda/gemm.h"
#include "cuda/loss.h"
#include "cuda/lstm.h"
#include "cuda/optimizer.h"
#include "cuda/session.h"
#include "cuda/session_elem.h"
#include "cuda/session_step.h"

namespace vigil {
namespace cuda {
namespace session {

namespace {

struct HostBackend {
  template <class T>
  class Buf {
   public:
    Buf() = default;
    explicit Buf(int64_t n) : v_(static_cast<size_t>(n)) {}
    T* get() const { return const_cast<T*>(v_.data()); }
    size_t size() const { return v_.size(); }

   private:
    std::vector<T> v_;
  };

  template <class T>
  Buf<T> alloc(int64_t n) {
    bytes_ += n * static_cast<int64_t>(sizeof(T));
    return Buf<T>(n);
  }
  int64_t bytes() const { return bytes_; }
  std::string where() const { return "session (host)"; }

  template <class T>
  void up(T* dst, const T* src, int64_t n) { std::memcpy(dst, src, sizeof(T) * static_cast<size_t>(n)); }
  template <class T>
  void down(T* dst, const T* src, int64_t n) { std::memcpy(dst, src, sizeof(T) * static_cast<size_t>(n)); }
  void zero(float* p, int64_t n) { std::fill(p, p + n, 0.0f); }
  void sync() {}

  void gemm(bool tA, bool tB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
            float* C, int64_t ldc) {
    host::sgemm(tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  }
  void gather(int64_t E, int64_t N, const int32_t* ids, const float* table, float* out) {
    host::embeddingForward(0, E, N, ids, table, out);
  }
  void scatter(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable) {
    host::embeddingBackward(V, E, N, ids, dOut, dTable);
  }
  // dense.cu's bias grids (launch.cuh's blocks of 256: a loop over the index is the same work).
  void biasAdd(int64_t N, int64_t out, const float* b, float* y) {
    for (int64_t e = 0; e < N * out; ++e) densek::biasAddElement(e, out, b, y);
  }
  void biasGrad(int64_t N, int64_t out, const float* dY, float* db) {
    for (int64_t c = 0; c < out; ++c) densek::biasGradColumn(c, N, out, dY, db);
  }
  void act(Activation k, int64_t n, const float* x, float* y) { host::activationForward(k, n, x, y); }
  void actBack(Activation k, int64_t n, const float* y, const float* dY, float* dX) {
    host::activationBackward(k, n, y, dY, dX);
  }
  void softmax(int64_t N, int64_t C, const float* x, float* y) { host::softmaxForward(N, C, x, y); }
  void softmaxBack(int64_t N, int64_t C, const float* y, const float* dY, float* dX) {
    host::softmaxBackward(N, C, y, dY, dX);
  }
  void loss(const lossk::Rows& r, double* out) {
    switch (r.kind) {
      case lossk::Kind::BinaryCrossentropy: *out = host::binaryCrossentropyLogits(r.N, r.C, r.z, r.t, r.w, r.grad); break;
      case lossk::Kind::SparseCategoricalCrossentropy:
        *out = host::sparseCategoricalCrossentropyLogits(r.N, r.C, r.z, r.labels, r.w, r.grad);
        break;
      case lossk::Kind::CategoricalCrossentropy:
        *out = host::categoricalCrossentropyLogits(r.N, r.C, r.z, r.t, r.w, r.grad);
        break;
      case lossk::Kind::MeanSquared: *out = host::meanSquaredError(r.N, r.C, r.z, r.t, r.w, r.grad); break;
      case lossk::Kind::MeanAbsolute: *out = host::meanAbsoluteError(r.N, r.C, r.z, r.t, r.w, r.grad); break;
    }
  }
  // The step grids, or the persistent kernels' emulation when RecurrentPath forces them (the CUDA
  // backend takes those wherever they fit: the tests force them here to cover that composition).
  static bool persistent() { return recurrentPath() == RecurrentPath::Persistent; }
  void recurrentForward(bool lstm, const RecurrentArgs& a, float* cache, float* y, float* hLast) {
    if (persistent()) (lstm ? host::lstmForwardPersistent : host::rnnForwardPersistent)(a, cache, y, hLast, nullptr, nullptr);
    else (lstm ? host::lstmForward : host::rnnForward)(a, cache, y, hLast, nullptr, nullptr);
  }
  // The host's tokens and lengths are the backend's own here (a's pointers).
  void recurrentBackward(bool lstm, const RecurrentArgs& a, const int32_t*, const int32_t*, float* cache,
                         const RecurrentGrads& g) {
    if (persistent()) (lstm ? host::lstmBackwardPersistent : host::rnnBackwardPersistent)(a, cache, g);
    else (lstm ? host::lstmBackward : host::rnnBackward)(a, cache, g);
  }
  void maxPool(int64_t B, int64_t T, int64_t F, const int32_t* lengths, const float* x, float* y, int32_t* arg) {
    for (int64_t e = 0; e < B * F; ++e) poolk::maxForwardElement(e, T, F, lengths, x, y, arg);
  }
  void maxPoolBack(int64_t n, const int32_t* arg, const float* dY, float* dX) {
    for (int64_t e = 0; e < n; ++e) poolk::maxBackwardElement(e, arg, dY, dX);
  }
  void dropout(int64_t n, double rate, uint64_t seed, uint64_t stream, const float* x, float* y) {
    host::dropoutForward(n, rate, seed, stream, x, y, nullptr);
  }
  void dropoutSeq(int64_t B, int64_t T, int64_t F, const int32_t* lengths, double rate, uint64_t seed, uint64_t stream,
                  const float* x, float* y) {
    host::dropoutSequences(B, T, F, lengths, rate, seed, stream, x, y);
  }
  void clip(ClipMode mode, double c, const std::vector<int64_t>& sizes, float* g) {
    host::clipGradients(mode, c, static_cast<int64_t>(sizes.size()), sizes.data(), g, g);
  }
  void sgd(int64_t n, float lr, float momentum, bool nesterov, float* p, const float* g, float* v) {
    host::sgdStep(n, lr, momentum, nesterov, p, g, v);
  }
  void adam(int64_t n, int64_t t, float lr, float b1, float b2, float eps, float* p, const float* g, float* m, float* v,
            float* vHat) {
    host::adamStep(n, t, lr, b1, b2, eps, p, g, m, v, vHat);
  }
  void rmsprop(int64_t n, float lr, float rho, float momentum, float eps, float* p, const float* g, float* v, float* mom,
               float* avg) {
    host::rmspropStep(n, lr, rho, momentum, eps, p, g, v, mom, avg);
  }
  void nadam(int64_t n, int64_t t, float lr, float b1, float b2, float eps, float* p, const float* g, float* m,
             float* v) {
    host::nadamStep(n, t, lr, b1, b2, eps, p, g, m, v);
  }

 private:
  int64_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<Session> makeHostSession(const Spec& s) { return std::make_unique<SessionT<HostBackend>>(s); }

}  // namespace session
}  // namespace cuda
}  // namespace vigil
