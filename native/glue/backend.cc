// backend(), thread count and SIMD path: what the engine runs on; and the memory hint for large outputs.
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <cstdint>

#include "cpu/cpu_features.h"
#include "cpu/threadpool.h"
#include "cuda/device.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

namespace {
// A bench-only measurement as a JS number; a CUDA failure as a JS Error naming the binding.
template <class F>
Napi::Value timed(Napi::Env env, const char* fn, F&& f) {
  try {
    return Napi::Number::New(env, f());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(fn) + ": " + e.what());
  }
}
}  // namespace

void register_backend(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    std::string why;
    auto list = cuda::devices(&why);
    Napi::Object out = Napi::Object::New(env);
    out.Set("cuda", Napi::Boolean::New(env, !list.empty()));
    out.Set("cudaCompiled", Napi::Boolean::New(env, cuda::compiled()));
    Napi::Array devs = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("name", list[i].name);
      d.Set("memoryBytes", Napi::Number::New(env, static_cast<double>(list[i].memoryBytes)));
      d.Set("computeCapability", std::to_string(list[i].major) + "." + std::to_string(list[i].minor));
      devs.Set(static_cast<uint32_t>(i), d);
    }
    out.Set("devices", devs);
    if (list.empty()) out.Set("cudaUnavailableReason", why);
    out.Set("simd", simdName(activeSimd()));
    out.Set("simdHardware", simdName(hardwareSimd()));
    out.Set("threads", getNumThreads());
    return out;
  }, "backend"));

  exports.Set("getNumThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::Number::New(info.Env(), getNumThreads());
  }, "getNumThreads"));

  exports.Set("setNumThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "setNumThreads");
    setNumThreads(static_cast<int>(a.integer(0, "n", 1, 256)));
    return info.Env().Undefined();
  }, "setNumThreads"));

  // Test-only: device memory taken and given back (cuda/device.h); a JS Error when it fails.
  define(env, exports, "_cudaProbeAlloc", [](Args& a) -> std::function<void()> {
    const double bytes = a.number(0, "bytes", 1, 1e18);
    return [bytes] { cuda::probeAlloc(bytes); };
  });

  // Asks Linux to back the 2 MiB-aligned interior of a Float32Array with transparent huge pages
  // when it is first written; returns the bytes advised (0 where nothing was: too small, another
  // OS, THP off). For fresh outputs of tens of MB (predict's result): this VM faults 4 KiB pages in
  // at ~0.5 ms/MB, a 33.5 MB output ~16 ms against ~2 ms in 2 MiB pages (bench/README.md, suite
  // onnx). Only a hint on memory V8 already owns: it changes no value and nothing about who frees it.
  exports.Set("adviseHugePages", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "adviseHugePages");
    int64_t len = 0;
    float* p = a.f32Any(0, "array", &len, false);
    double advised = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr uintptr_t kHuge = uintptr_t(2) << 20;
    const uintptr_t lo = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t hi = reinterpret_cast<uintptr_t>(p + len) & ~(kHuge - 1);
    if (hi > lo && madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE) == 0) advised = static_cast<double>(hi - lo);
#else
    (void)p;
#endif
    return Napi::Number::New(info.Env(), advised);
  }, "adviseHugePages"));

  // Bench-only: the device's ceilings (cuda/device.h), in seconds; synchronous (a few milliseconds).
  exports.Set("_cudaCopySeconds", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "_cudaCopySeconds");
    const double bytes = a.number(0, "bytes", 4, 1e12);
    const int repeats = static_cast<int>(a.integer(1, "repeats", 1, 1000));
    return timed(info.Env(), "_cudaCopySeconds", [&] { return cuda::copySeconds(bytes, repeats); });
  }, "_cudaCopySeconds"));
  exports.Set("_cudaSgemmKernelSeconds", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "_cudaSgemmKernelSeconds");
    const int64_t n = a.integer(0, "n", 1, 16384);
    const int repeats = static_cast<int>(a.integer(1, "repeats", 1, 1000));
    return timed(info.Env(), "_cudaSgemmKernelSeconds", [&] { return cuda::sgemmKernelSeconds(n, repeats); });
  }, "_cudaSgemmKernelSeconds"));

  // Caps the SIMD level kernels use, so tests can run every path on one machine.
  exports.Set("setSimdCap", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "setSimdCap");
    // Index order is the enum's: generic, avx2, avx512.
    setSimdCap(static_cast<Simd>(a.oneOf(0, "level", {"generic", "avx2", "avx512"})));
    return Napi::String::New(info.Env(), simdName(activeSimd()));
  }, "setSimdCap"));
}

}  // namespace glue
}  // namespace vigil
