// conv1dForward / conv1dBackward: channels-last x [B, T, Cin], W [Cout, Cin, K] (PyTorch layout).
#include <sstream>

#include "cpu/conv1d.h"
#include "cpu/conv1d_winograd.h"
#include "cuda/conv1d.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {
namespace {

// (B, T, Cin, Cout, kernelSize, dilation, padding) at arguments 0..6.
Conv1dShape readShape(Args& a) {
  Conv1dShape s{};
  s.batch = a.dim(0, "batch");
  s.time = a.dim(1, "time");
  s.inChannels = a.dim(2, "inChannels");
  s.outChannels = a.dim(3, "outChannels");
  s.kernelSize = a.dim(4, "kernelSize");
  s.dilation = a.dim(5, "dilation");
  s.padding = static_cast<Conv1dPadding>(a.oneOf(6, "padding", {"valid", "same", "causal"}));
  a.product({s.kernelSize, s.dilation}, "kernelSize * dilation");
  if (s.outTime() < 1) {
    std::ostringstream m;
    m << "time must be at least (kernelSize - 1) * dilation + 1 = " << s.span() + 1 << " for 'valid' padding, got "
      << s.time;
    a.rangeError(m.str());
  }
  return s;
}

struct Lengths {
  int64_t x, w, y;
};

// The element counts of x, W and y (or dY) for a shape, each checked against overflow.
Lengths lengths(Args& a, const Conv1dShape& s) {
  return {a.product({s.batch, s.time, s.inChannels}, "batch * time * inChannels"),
          a.product({s.outChannels, s.inChannels, s.kernelSize}, "outChannels * inChannels * kernelSize"),
          a.product({s.batch, s.outTime(), s.outChannels}, "batch * outTime * outChannels")};
}

// Which implementation a binding runs: the CPU kernel, the CUDA kernel, or (test-only) the CUDA
// kernel's grids run as host loops (cuda/host_grid.cc).
enum class Path { Cpu, Cuda, CudaHost };

// (B, T, Cin, Cout, K, dilation, padding, x [B,T,Cin], W [Cout,Cin,K], b [Cout] | null, y [B,Tout,Cout],
//  activation 'linear' | 'relu' | undefined)
std::function<void()> forward(Args& a, Path path) {
  Conv1dShape s = readShape(a);
  const auto [xLen, wLen, yLen] = lengths(a, s);
  const float* x = a.f32(7, "x", xLen);
  const float* W = a.f32(8, "W", wLen);
  const float* b = a.f32Opt(9, "b", s.outChannels);
  float* y = a.f32(10, "y", yLen, false);
  auto act = a.isNullish(11) ? Conv1dActivation::Linear
                             : static_cast<Conv1dActivation>(a.oneOf(11, "activation", {"linear", "relu"}));
  switch (path) {
    case Path::Cuda: return [=] { cuda::conv1dForward(s, x, W, b, y, act); };
    case Path::CudaHost: return [=] { cuda::host::conv1dForward(s, x, W, b, y, act); };
    case Path::Cpu: break;
  }
  return [=] { conv1dForward(s, x, W, b, y, act); };
}

// (B, T, Cin, Cout, K, dilation, padding, x, W, dY [B,Tout,Cout], dX | null, dW | null, db | null,
//  reluOut [B,Tout,Cout] | null, dZ [B,Tout,Cout] (given with reluOut))
std::function<void()> backward(Args& a, Path path) {
  Conv1dShape s = readShape(a);
  const auto [xLen, wLen, yLen] = lengths(a, s);
  const float* x = a.f32(7, "x", xLen);
  const float* W = a.f32(8, "W", wLen);
  const float* dY = a.f32(9, "dY", yLen);
  float* dX = a.f32Opt(10, "dX", xLen, false);
  float* dW = a.f32Opt(11, "dW", wLen, false);
  float* db = a.f32Opt(12, "db", s.outChannels, false);
  const float* reluOut = a.f32Opt(13, "reluOut", yLen);
  float* dZ = reluOut != nullptr ? a.f32(14, "dZ", yLen, false) : nullptr;
  if (reluOut == nullptr && !a.isNullish(14)) a.typeError("dZ is written only with reluOut: pass null for both or neither");
  switch (path) {
    case Path::Cuda: return [=] { cuda::conv1dBackward(s, x, W, dY, dX, dW, db, reluOut, dZ); };
    case Path::CudaHost: return [=] { cuda::host::conv1dBackward(s, x, W, dY, dX, dW, db, reluOut, dZ); };
    case Path::Cpu: break;
  }
  return [=] { conv1dBackward(s, x, W, dY, dX, dW, db, reluOut, dZ); };
}

}  // namespace

void register_conv1d(Napi::Env env, Napi::Object exports) {
  define(env, exports, "conv1dForward", [](Args& a) { return forward(a, Path::Cpu); });
  define(env, exports, "conv1dBackward", [](Args& a) { return backward(a, Path::Cpu); });
  // The same on the GPU (cuda/conv1d.cu); a JS Error when the addon has no CUDA or the call fails.
  define(env, exports, "conv1dForwardCuda", [](Args& a) { return forward(a, Path::Cuda); });
  define(env, exports, "conv1dBackwardCuda", [](Args& a) { return backward(a, Path::Cuda); });
  // Test-only: the CUDA kernels' grids run as host loops, in every build.
  define(env, exports, "_cudaHostEmulateConv1dForward", [](Args& a) { return forward(a, Path::CudaHost); });
  define(env, exports, "_cudaHostEmulateConv1dBackward", [](Args& a) { return backward(a, Path::CudaHost); });
  // Test and bench only: which CPU forward runs ('auto' picks by shape); returns the previous one.
  exports.Set("_setConv1dAlgorithm", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args a(info, "_setConv1dAlgorithm");
    static const char* const names[] = {"auto", "direct", "winograd"};  // Conv1dAlgorithm's order
    const auto prev = setConv1dAlgorithm(static_cast<Conv1dAlgorithm>(a.oneOf(0, "algorithm", {names[0], names[1], names[2]})));
    return Napi::String::New(info.Env(), names[static_cast<int>(prev)]);
  }, "_setConv1dAlgorithm"));
}

}  // namespace glue
}  // namespace vigil
