// Restricted Boltzmann machine kernels (cpu/rbm.h): conditionals, sampling, free energy, the CD-k
// gradient of one batch, and a whole training epoch.
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cpu/rbm.h"
#include "cuda/rbm.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

namespace {
// Seeds, streams and draw offsets arrive as JS numbers: integers below 2^53 are exact.
constexpr int64_t kMaxSeed = (int64_t(1) << 53) - 1;
constexpr int64_t kMaxGibbsSteps = 1000;
constexpr int64_t kMaxEpoch = (int64_t(1) << 20) - 1;
constexpr int64_t kMaxRows = std::numeric_limits<int32_t>::max();
constexpr double kFloatMax = 3.4028234663852886e38;

RbmVisible visibleArg(Args& a, size_t i) {
  return a.oneOf(i, "visible", {"bernoulli", "gaussian"}) == 0 ? RbmVisible::Bernoulli : RbmVisible::Gaussian;
}

// The persistent chain: required with persistent, refused without (it would be silently ignored).
float* chainArg(Args& a, size_t i, bool persistent, int64_t len) {
  if (!persistent) {
    if (!a.isNullish(i)) a.typeError("chain must be null unless persistent is true");
    return nullptr;
  }
  if (a.isNullish(i)) a.typeError("chain must be a Float32Array of the persistent hidden states when persistent is true");
  return a.f32(i, "chain", len);
}

// Which implementation a binding runs: the CPU kernel, the CUDA kernel, or (test-only) the CUDA
// kernel's grids run as host loops (cuda/host_grid.cc).
enum class Path { Cpu, Cuda, CudaHost };

// (N, V, H, x [N,V], W [H,V], c [H], P [N,H])
std::function<void()> hiddenProbs(Args& a, Path path) {
  int64_t N = a.dim(0, "N"), V = a.dim(1, "V"), H = a.dim(2, "H");
  int64_t xLen = a.product({N, V}, "x (N * V)"), wLen = a.product({H, V}, "W (H * V)"), pLen = a.product({N, H}, "P (N * H)");
  const float* x = a.f32(3, "x", xLen);
  const float* W = a.f32(4, "W", wLen);
  const float* c = a.f32(5, "c", H);
  float* P = a.f32(6, "P", pLen, false);
  distinct(a, {{P, pLen, "P"}, {x, xLen, "x"}, {W, wLen, "W"}, {c, H, "c"}});
  switch (path) {
    case Path::Cuda: return [=] { cuda::rbmHiddenProbs(N, V, H, x, W, c, P); };
    case Path::CudaHost: return [=] { cuda::host::rbmHiddenProbs(N, V, H, x, W, c, P); };
    case Path::Cpu: break;
  }
  return [=] { rbmHiddenProbs(N, V, H, x, W, c, P); };
}

// (visible, N, V, H, h [N,H], W [H,V], b [V], X [N,V])
std::function<void()> visibleMeans(Args& a, Path path) {
  RbmVisible vis = visibleArg(a, 0);
  int64_t N = a.dim(1, "N"), V = a.dim(2, "V"), H = a.dim(3, "H");
  int64_t hLen = a.product({N, H}, "h (N * H)"), wLen = a.product({H, V}, "W (H * V)"), xLen = a.product({N, V}, "X (N * V)");
  const float* h = a.f32(4, "h", hLen);
  const float* W = a.f32(5, "W", wLen);
  const float* b = a.f32(6, "b", V);
  float* X = a.f32(7, "X", xLen, false);
  distinct(a, {{X, xLen, "X"}, {h, hLen, "h"}, {W, wLen, "W"}, {b, V, "b"}});
  switch (path) {
    case Path::Cuda: return [=] { cuda::rbmVisibleMeans(vis, N, V, H, h, W, b, X); };
    case Path::CudaHost: return [=] { cuda::host::rbmVisibleMeans(vis, N, V, H, h, W, b, X); };
    case Path::Cpu: break;
  }
  return [=] { rbmVisibleMeans(vis, N, V, H, h, W, b, X); };
}

// (seed, stream, offset, p [n], out [n]); out may be p itself.
std::function<void()> sampleBernoulli(Args& a, Path path) {
  int64_t seed = a.integer(0, "seed", 0, kMaxSeed), stream = a.integer(1, "stream", 0, kMaxSeed);
  int64_t offset = a.integer(2, "offset", 0, kMaxSeed);
  int64_t n;
  const float* p = a.f32Any(3, "p", &n);
  float* out = a.f32(4, "out", n, false);
  if (out != p) distinct(a, {{out, n, "out"}, {p, n, "p"}});
  switch (path) {
    case Path::Cuda: return [=] { cuda::rbmSampleBernoulli(n, seed, stream, offset, p, out); };
    case Path::CudaHost: return [=] { cuda::host::rbmSampleBernoulli(n, seed, stream, offset, p, out); };
    case Path::Cpu: break;
  }
  return [=] { rbmSampleBernoulli(n, seed, stream, offset, p, out); };
}

// (visible, N, V, H, x [N,V], W [H,V], b [V], c [H], F [N])
std::function<void()> freeEnergy(Args& a, Path path) {
  RbmVisible vis = visibleArg(a, 0);
  int64_t N = a.dim(1, "N"), V = a.dim(2, "V"), H = a.dim(3, "H");
  int64_t xLen = a.product({N, V}, "x (N * V)"), wLen = a.product({H, V}, "W (H * V)");
  const float* x = a.f32(4, "x", xLen);
  const float* W = a.f32(5, "W", wLen);
  const float* b = a.f32(6, "b", V);
  const float* c = a.f32(7, "c", H);
  float* F = a.f32(8, "F", N, false);
  distinct(a, {{F, N, "F"}, {x, xLen, "x"}, {W, wLen, "W"}, {b, V, "b"}, {c, H, "c"}});
  switch (path) {
    case Path::Cuda: return [=] { cuda::rbmFreeEnergy(vis, N, V, H, x, W, b, c, F); };
    case Path::CudaHost: return [=] { cuda::host::rbmFreeEnergy(vis, N, V, H, x, W, b, c, F); };
    case Path::Cpu: break;
  }
  return [=] { rbmFreeEnergy(vis, N, V, H, x, W, b, c, F); };
}

// (visible, gibbsSteps, persistent, m, V, H, v0 [m,V], W [H,V], b [V], c [H], chain [m,H] | null,
//  seed, stream, dW [H,V], db [V], dc [H], stats [1]); stats[0] = summed squared reconstruction error.
std::function<void()> cdGradient(Args& a, Path path) {
  RbmChain ch{visibleArg(a, 0), static_cast<int>(a.integer(1, "gibbsSteps", 1, kMaxGibbsSteps)), a.boolean(2, "persistent")};
  int64_t m = a.integer(3, "m", 1, kMaxRows), V = a.dim(4, "V"), H = a.dim(5, "H");
  int64_t vLen = a.product({m, V}, "v0 (m * V)"), wLen = a.product({H, V}, "W (H * V)"), hLen = a.product({m, H}, "chain (m * H)");
  const float* v0 = a.f32(6, "v0", vLen);
  const float* W = a.f32(7, "W", wLen);
  const float* b = a.f32(8, "b", V);
  const float* c = a.f32(9, "c", H);
  float* chain = chainArg(a, 10, ch.persistent, hLen);
  int64_t seed = a.integer(11, "seed", 0, kMaxSeed), stream = a.integer(12, "stream", 0, kMaxSeed);
  float* dW = a.f32(13, "dW", wLen, false);
  float* db = a.f32(14, "db", V, false);
  float* dc = a.f32(15, "dc", H, false);
  float* stats = a.f32(16, "stats", 1, false);
  distinct(a, {{dW, wLen, "dW"}, {db, V, "db"}, {dc, H, "dc"}, {stats, 1, "stats"}, {chain, hLen, "chain"},
               {v0, vLen, "v0"}, {W, wLen, "W"}, {b, V, "b"}, {c, H, "c"}});
  decltype(&rbmCdGradient) fn = path == Path::Cuda       ? &cuda::rbmCdGradient
                                : path == Path::CudaHost ? &cuda::host::rbmCdGradient
                                                         : &rbmCdGradient;
  return [=] { stats[0] = static_cast<float>(fn(ch, m, V, H, v0, W, b, c, chain, seed, stream, dW, db, dc)); };
}

}  // namespace

void register_rbm(Napi::Env env, Napi::Object exports) {
  define(env, exports, "rbmHiddenProbs", [](Args& a) { return hiddenProbs(a, Path::Cpu); });
  define(env, exports, "rbmVisibleMeans", [](Args& a) { return visibleMeans(a, Path::Cpu); });
  define(env, exports, "rbmSampleBernoulli", [](Args& a) { return sampleBernoulli(a, Path::Cpu); });
  define(env, exports, "rbmFreeEnergy", [](Args& a) { return freeEnergy(a, Path::Cpu); });
  define(env, exports, "rbmCdGradient", [](Args& a) { return cdGradient(a, Path::Cpu); });
  // The same on the GPU (cuda/rbm.cu); a JS Error when the addon has no CUDA or the call fails.
  // Test-only _cudaHostEmulate*: the CUDA kernels' grids run as host loops, in every build.
  const std::pair<const char*, Binding> twins[] = {
      {"rbmHiddenProbsCuda", [](Args& a) { return hiddenProbs(a, Path::Cuda); }},
      {"rbmVisibleMeansCuda", [](Args& a) { return visibleMeans(a, Path::Cuda); }},
      {"rbmSampleBernoulliCuda", [](Args& a) { return sampleBernoulli(a, Path::Cuda); }},
      {"rbmFreeEnergyCuda", [](Args& a) { return freeEnergy(a, Path::Cuda); }},
      {"rbmCdGradientCuda", [](Args& a) { return cdGradient(a, Path::Cuda); }},
      {"_cudaHostEmulateRbmHiddenProbs", [](Args& a) { return hiddenProbs(a, Path::CudaHost); }},
      {"_cudaHostEmulateRbmVisibleMeans", [](Args& a) { return visibleMeans(a, Path::CudaHost); }},
      {"_cudaHostEmulateRbmSampleBernoulli", [](Args& a) { return sampleBernoulli(a, Path::CudaHost); }},
      {"_cudaHostEmulateRbmFreeEnergy", [](Args& a) { return freeEnergy(a, Path::CudaHost); }},
      {"_cudaHostEmulateRbmCdGradient", [](Args& a) { return cdGradient(a, Path::CudaHost); }},
  };
  for (const auto& [name, body] : twins) define(env, exports, name, body);
  // (visible, gibbsSteps, persistent, N, V, H, x [N,V], order [N], W [H,V], b [V], c [H], velW [H,V],
  //  velB [V], velC [H], chain [min(batchSize,N),H] | null, batchSize, learningRate, momentum,
  //  weightDecay, seed, epoch, stats [1]); stats[0] = the epoch's mean squared reconstruction error.
  define(env, exports, "rbmTrainEpoch", [](Args& a) -> std::function<void()> {
    RbmTrainOptions o{};
    o.chain = RbmChain{visibleArg(a, 0), static_cast<int>(a.integer(1, "gibbsSteps", 1, kMaxGibbsSteps)), a.boolean(2, "persistent")};
    int64_t N = a.integer(3, "N", 1, kMaxRows), V = a.dim(4, "V"), H = a.dim(5, "H");
    o.batchSize = a.integer(15, "batchSize", 1, kMaxRows);
    const int64_t B = std::min(o.batchSize, N);
    int64_t xLen = a.product({N, V}, "x (N * V)"), wLen = a.product({H, V}, "W (H * V)"), hLen = a.product({B, H}, "chain (min(batchSize, N) * H)");
    const float* x = a.f32(6, "x", xLen);
    const int32_t* order = a.i32(7, "order", N, 0, static_cast<int32_t>(N - 1), true);
    float* W = a.f32(8, "W", wLen);
    float* b = a.f32(9, "b", V);
    float* c = a.f32(10, "c", H);
    float* velW = a.f32(11, "velW", wLen);
    float* velB = a.f32(12, "velB", V);
    float* velC = a.f32(13, "velC", H);
    float* chain = chainArg(a, 14, o.chain.persistent, hLen);
    o.learningRate = static_cast<float>(a.number(16, "learningRate", 0, kFloatMax));
    if (!(o.learningRate > 0)) a.rangeError("learningRate must be > 0, got 0");
    o.momentum = static_cast<float>(a.number(17, "momentum", 0, 1));
    if (o.momentum >= 1) a.rangeError("momentum must be in [0, 1), got 1");
    o.weightDecay = static_cast<float>(a.number(18, "weightDecay", 0, kFloatMax));
    o.seed = static_cast<uint64_t>(a.integer(19, "seed", 0, kMaxSeed));
    o.epoch = static_cast<uint64_t>(a.integer(20, "epoch", 0, kMaxEpoch));
    float* stats = a.f32(21, "stats", 1, false);
    distinct(a, {{W, wLen, "W"}, {b, V, "b"}, {c, H, "c"}, {velW, wLen, "velW"}, {velB, V, "velB"}, {velC, H, "velC"},
                 {chain, hLen, "chain"}, {stats, 1, "stats"}, {x, xLen, "x"}});
    return [=] {
      stats[0] = static_cast<float>(rbmTrainEpoch(o, N, V, H, x, order, W, b, c, velW, velB, velC, chain));
    };
  });
}

}  // namespace glue
}  // namespace vigil
