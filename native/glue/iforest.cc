// Isolation forests (cpu/iforest.h): iforestFit grows a forest into typed arrays; iforestPack
// checks a forest once and copies it into a native handle; iforestScore / iforestScoreAsync score
// rows with a handle. Checking ~100k forest values costs tens of microseconds, far more than
// scoring one row: the handle makes the per-call work O(row), which the in-process one-row path needs.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/iforest.h"
#include "cuda/iforest.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {
namespace {

constexpr int64_t kMaxSeed = (int64_t(1) << 53) - 1;
// Node indices are int32 in the walk: 2^(height+1) must stay below 2^31.
constexpr int kMaxHeight = 30;
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min(), kInt32Max = std::numeric_limits<int32_t>::max();

struct PackedForest {
  int64_t cols, trees;
  int height;
  int64_t maxSamples;
  std::vector<int32_t> feature;
  std::vector<float> threshold, leafValue;
  // An extended forest (extensionLevel > 0): the hyperplanes' slices (cpu/iforest.h); empty otherwise.
  int64_t extensionLevel = 0;
  std::vector<int32_t> normalFeature;
  std::vector<float> normal;

  size_t bytes() const {
    return (feature.size() + threshold.size() + leafValue.size() + normalFeature.size() + normal.size()) * 4;
  }

  // The forest's copy on the GPU, made by the first CUDA call and kept for the next ones; freed
  // with the handle. Async calls may ask for it concurrently.
  const cuda::DeviceForest& onDevice() const {
    std::lock_guard<std::mutex> lock(deviceMutex);
    if (!device) device = cuda::iforestUpload(trees, height, feature.data(), threshold.data(), leafValue.data());
    return *device;
  }
  mutable std::mutex deviceMutex;
  mutable std::shared_ptr<cuda::DeviceForest> device;
};

using Holder = std::shared_ptr<const PackedForest>;

// Marks handles made here, so that no other External passes for one.
constexpr napi_type_tag kForestTag = {0x766967696c2d6966ull, 0x6f726573742d7631ull};

// The forest behind argument i, or a TypeError naming it.
Holder forestArg(const Napi::CallbackInfo& info, Args& a, size_t i) {
  Napi::Value v = info[i];
  if (!v.IsExternal() || !v.As<Napi::External<Holder>>().CheckTypeTag(&kForestTag))
    a.typeError("forest must be a forest handle made by iforestPack");
  return *v.As<Napi::External<Holder>>().Data();
}

enum class Path { Cpu, Cuda, CudaHost };

// (forest, rows, cols, x [rows, cols], pathLength [rows] | null, score [rows] | null)
Napi::Value score(const Napi::CallbackInfo& info, const char* fn, bool async, Path path) {
  Args a(info, fn);
  Holder f = forestArg(info, a, 0);
  int64_t rows = a.dim(1, "rows"), cols = a.dim(2, "cols");
  if (cols != f->cols) {
    std::ostringstream s;
    s << "cols must be " << f->cols << " (the forest's features), got " << cols;
    a.rangeError(s.str());
  }
  const float* x = a.f32(3, "x", a.product({rows, cols}, "rows * cols"));
  float* pathLength = a.f32Opt(4, "pathLength", rows, false);
  float* out = a.f32Opt(5, "score", rows, false);
  // The work holds the forest: a pending async call outlives a collected handle.
  if (path != Path::Cpu && f->extensionLevel > 0) {
    const std::string msg = std::string(fn) + ": the CUDA walk scores axis-parallel forests only; this forest has extensionLevel " +
                            std::to_string(f->extensionLevel) + " (score it on the CPU)";
    return run(a, async, [msg] { throw std::invalid_argument(msg); });
  }
  if (path == Path::Cuda) {
    return run(a, async, [=] { cuda::iforestScore(f->onDevice(), x, rows, cols, f->maxSamples, pathLength, out); });
  }
  if (path == Path::CudaHost) {
    return run(a, async, [=] {
      cuda::host::iforestScore(f->trees, f->height, f->feature.data(), f->threshold.data(), f->leafValue.data(), x, rows,
                               cols, f->maxSamples, pathLength, out);
    });
  }
  return run(a, async, [=] {
    iforestScore(x, rows, cols, f->trees, f->height, f->feature.data(), f->threshold.data(), f->leafValue.data(), f->maxSamples,
                 pathLength, out, f->extensionLevel, f->normalFeature.data(), f->normal.data());
  });
}

}  // namespace

void register_iforest(Napi::Env env, Napi::Object exports) {
  // (rows, cols, firstTree, trees, maxSamples, maxFeatures, bootstrap, seed, x [rows, cols],
  //  feature Int32Array [trees, 2^h - 1], threshold [trees, 2^h - 1], leafValue [trees, 2^h]),
  // h = iforestHeight(maxSamples); the three forest arrays are outputs, for trees firstTree on.
  // Then (extensionLevel in [0, maxFeatures - 1], normalFeature Int32Array | null, normal | null):
  // extensionLevel > 0 grows an extended forest, whose hyperplanes fill normalFeature and normal
  // [trees, 2^h - 1, extensionLevel + 1] (null when extensionLevel is 0).
  define(env, exports, "iforestFit", [](Args& a) -> std::function<void()> {
    int64_t rows = a.dim(0, "rows"), cols = a.dim(1, "cols");
    int64_t firstTree = a.integer(2, "firstTree", 0, kMaxSeed), trees = a.dim(3, "trees");
    int64_t maxSamples = a.integer(4, "maxSamples", 1, std::min<int64_t>(rows, int64_t(1) << kMaxHeight));
    int64_t maxFeatures = a.integer(5, "maxFeatures", 1, cols);
    bool bootstrap = a.boolean(6, "bootstrap");
    int64_t seed = a.integer(7, "seed", 0, kMaxSeed);
    if (cols > kInt32Max) a.rangeError("cols must be below 2^31");
    const int h = iforestHeight(maxSamples);
    const int64_t inner = (int64_t(1) << h) - 1;
    int64_t xLen = a.product({rows, cols}, "rows * cols");
    int64_t nodeLen = a.product({trees, inner}, "trees * (2^height - 1)");
    int64_t leafLen = a.product({trees, inner + 1}, "trees * 2^height");
    const float* x = a.f32(8, "x", xLen);
    int32_t* feature = a.i32(9, "feature", nodeLen, kInt32Min, kInt32Max);
    float* threshold = a.f32(10, "threshold", nodeLen, false);
    float* leafValue = a.f32(11, "leafValue", leafLen, false);
    int64_t extensionLevel = a.integer(12, "extensionLevel", 0, maxFeatures - 1);
    int32_t* normalFeature = nullptr;
    float* normal = nullptr;
    if (extensionLevel > 0) {
      if (a.isNullish(13) || a.isNullish(14)) a.typeError("normalFeature and normal must be typed arrays when extensionLevel > 0");
      int64_t len = a.product({trees, inner, extensionLevel + 1}, "trees * (2^height - 1) * (extensionLevel + 1)");
      normalFeature = a.i32(13, "normalFeature", len, kInt32Min, kInt32Max);
      normal = a.f32(14, "normal", len, false);
    }
    return [=] {
      iforestFit(x, rows, cols, firstTree, trees, maxSamples, maxFeatures, bootstrap, static_cast<uint64_t>(seed), feature, threshold,
                 leafValue, extensionLevel, normalFeature, normal);
    };
  });

  // (cols, trees, height, maxSamples, feature [trees, 2^height - 1] (each in [0, cols)),
  //  threshold [trees, 2^height - 1], leafValue [trees, 2^height], extensionLevel >= 0,
  //  normalFeature [trees, 2^height - 1, extensionLevel + 1] (each in [0, cols)) | null,
  //  normal [same] | null) -> a forest handle: any forest in the layout (grown by iforestFit or
  // converted from scikit-learn), checked and copied once. The normals are null when extensionLevel is 0.
  exports.Set("iforestPack", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "iforestPack");
    auto p = std::make_shared<PackedForest>();
    p->cols = a.dim(0, "cols");
    if (p->cols > kInt32Max) a.rangeError("cols must be below 2^31");
    p->trees = a.dim(1, "trees");
    p->height = static_cast<int>(a.integer(2, "height", 1, kMaxHeight));
    p->maxSamples = a.dim(3, "maxSamples");
    const int64_t inner = (int64_t(1) << p->height) - 1;
    int64_t nodeLen = a.product({p->trees, inner}, "trees * (2^height - 1)");
    int64_t leafLen = a.product({p->trees, inner + 1}, "trees * 2^height");
    const int32_t* feature = a.i32(4, "feature", nodeLen, 0, static_cast<int32_t>(p->cols - 1));
    const float* threshold = a.f32(5, "threshold", nodeLen);
    const float* leafValue = a.f32(6, "leafValue", leafLen);
    p->feature.assign(feature, feature + nodeLen);
    p->threshold.assign(threshold, threshold + nodeLen);
    p->leafValue.assign(leafValue, leafValue + leafLen);
    // An extensionLevel of cols or more would repeat a feature within a normal: cols - 1 at most.
    p->extensionLevel = a.integer(7, "extensionLevel", 0, p->cols - 1);
    if (p->extensionLevel > 0) {
      if (a.isNullish(8) || a.isNullish(9)) a.typeError("normalFeature and normal must be typed arrays when extensionLevel > 0");
      int64_t len = a.product({p->trees, inner, p->extensionLevel + 1}, "trees * (2^height - 1) * (extensionLevel + 1)");
      const int32_t* nf = a.i32(8, "normalFeature", len, 0, static_cast<int32_t>(p->cols - 1));
      const float* nv = a.f32(9, "normal", len);
      p->normalFeature.assign(nf, nf + len);
      p->normal.assign(nv, nv + len);
    }
    Napi::Env e = info.Env();
    const int64_t bytes = static_cast<int64_t>(p->bytes());
    // Tell V8 what the small handle holds, so garbage collection runs as it would for the arrays.
    Napi::MemoryManagement::AdjustExternalMemory(e, bytes);
    auto ext = Napi::External<Holder>::New(e, new Holder(std::move(p)), [bytes](Napi::Env fe, Holder* h) {
      Napi::MemoryManagement::AdjustExternalMemory(fe, -bytes);
      delete h;
    });
    ext.TypeTag(&kForestTag);
    return ext;
  }, "iforestPack"));

  // iforestScore[Async] on the CPU, iforestScoreCuda[Async] on the GPU (the forest is copied to
  // it on the first call and stays), _cudaHostEmulateIforestScore (test-only) the CUDA kernel's
  // grid run as host loops (cuda/host_grid.cc), in every build.
  struct Entry {
    const char* name;
    bool async;
    Path path;
  };
  static const Entry entries[] = {
      {"iforestScore", false, Path::Cpu},          {"iforestScoreAsync", true, Path::Cpu},
      {"iforestScoreCuda", false, Path::Cuda},     {"iforestScoreCudaAsync", true, Path::Cuda},
      {"_cudaHostEmulateIforestScore", false, Path::CudaHost},
  };
  for (const Entry& e : entries) {
    exports.Set(e.name, Napi::Function::New(env, [&e](const Napi::CallbackInfo& info) {
      return score(info, e.name, e.async, e.path);
    }, e.name));
  }
}

}  // namespace glue
}  // namespace vigil
