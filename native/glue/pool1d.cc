// MaxPooling1D, UpSampling1D and SpatialDropout1D over channels-last [B, T, C].
#include <climits>
#include <sstream>

#include "cpu/pool1d.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {
namespace {
constexpr int64_t kMaxSafe = (int64_t(1) << 53) - 1;
// Largest double below 1: rate must leave something to keep (as dropout).
constexpr double kMaxRate = 0.99999999999999989;

// (B, T, C, poolSize, strides, padding) at arguments 0..5. T fits an Int32Array of steps (argmax).
Pool1dShape readPool(Args& a) {
  Pool1dShape s{};
  s.batch = a.dim(0, "batch");
  s.time = a.integer(1, "time", 1, INT32_MAX);
  s.channels = a.dim(2, "channels");
  s.pool = a.dim(3, "poolSize");
  s.stride = a.dim(4, "strides");
  s.same = a.oneOf(5, "padding", {"valid", "same"}) == 1;
  if (!s.same && s.time < s.pool) {
    std::ostringstream m;
    m << "time must be at least poolSize = " << s.pool << " for 'valid' padding, got " << s.time;
    a.rangeError(m.str());
  }
  return s;
}
}  // namespace

void register_pool1d(Napi::Env env, Napi::Object exports) {
  // (B, T, C, poolSize, strides, padding, x [B,T,C], y [B,Tout,C], argmax [B,Tout,C] | null)
  define(env, exports, "maxPool1dForward", [](Args& a) -> std::function<void()> {
    Pool1dShape s = readPool(a);
    int64_t xLen = a.product({s.batch, s.time, s.channels}, "batch * time * channels");
    int64_t yLen = a.product({s.batch, s.outTime(), s.channels}, "batch * outTime * channels");
    const float* x = a.f32(6, "x", xLen);
    float* y = a.f32(7, "y", yLen, false);
    // An output: any previous contents are allowed.
    int32_t* argmax = a.i32Opt(8, "argmax", yLen, INT32_MIN, INT32_MAX);
    return [=] { maxPool1dForward(s, x, y, argmax); };
  });
  // (B, T, C, poolSize, strides, padding, argmax [B,Tout,C] in [0, T), dY [B,Tout,C], dX [B,T,C])
  define(env, exports, "maxPool1dBackward", [](Args& a) -> std::function<void()> {
    Pool1dShape s = readPool(a);
    int64_t xLen = a.product({s.batch, s.time, s.channels}, "batch * time * channels");
    int64_t yLen = a.product({s.batch, s.outTime(), s.channels}, "batch * outTime * channels");
    // Steps outside [0, T) would write outside dX.
    const int32_t* argmax = a.i32(6, "argmax", yLen, 0, static_cast<int32_t>(s.time - 1));
    const float* dY = a.f32(7, "dY", yLen);
    float* dX = a.f32(8, "dX", xLen, false);
    return [=] { maxPool1dBackward(s, argmax, dY, dX); };
  });
  // (B, T, C, size, x [B,T,C], y [B,T*size,C])
  define(env, exports, "upSampling1dForward", [](Args& a) -> std::function<void()> {
    int64_t B = a.dim(0, "batch"), T = a.dim(1, "time"), C = a.dim(2, "channels"), size = a.dim(3, "size");
    int64_t xLen = a.product({B, T, C}, "batch * time * channels");
    int64_t yLen = a.product({B, T, size, C}, "batch * time * size * channels");
    const float* x = a.f32(4, "x", xLen);
    float* y = a.f32(5, "y", yLen, false);
    return [=] { upSampling1dForward(B, T, C, size, x, y); };
  });
  // (B, T, C, size, dY [B,T*size,C], dX [B,T,C])
  define(env, exports, "upSampling1dBackward", [](Args& a) -> std::function<void()> {
    int64_t B = a.dim(0, "batch"), T = a.dim(1, "time"), C = a.dim(2, "channels"), size = a.dim(3, "size");
    int64_t xLen = a.product({B, T, C}, "batch * time * channels");
    int64_t yLen = a.product({B, T, size, C}, "batch * time * size * channels");
    const float* dY = a.f32(4, "dY", yLen);
    float* dX = a.f32(5, "dX", xLen, false);
    return [=] { upSampling1dBackward(B, T, C, size, dY, dX); };
  });
  // (B, T, C, rate in [0,1), seed, stream, x [B,T,C], y [B,T,C], mask [B,C] | null): forward and backward alike.
  define(env, exports, "spatialDropout1d", [](Args& a) -> std::function<void()> {
    int64_t B = a.dim(0, "batch"), T = a.dim(1, "time"), C = a.dim(2, "channels");
    int64_t len = a.product({B, T, C}, "batch * time * channels");
    double rate = a.number(3, "rate", 0.0, kMaxRate);
    uint64_t seed = a.integer(4, "seed", 0, kMaxSafe), stream = a.integer(5, "stream", 0, kMaxSafe);
    const float* x = a.f32(6, "x", len);
    float* y = a.f32(7, "y", len, false);
    float* mask = a.f32Opt(8, "mask", B * C, false);
    return [=] { spatialDropout1d(B, T, C, rate, seed, stream, x, y, mask); };
  });
}

}  // namespace glue
}  // namespace vigil
