// The device-resident session (cuda/session.h) as a handle: sessionCreateCuda makes one for the GPU,
// _cudaHostSessionCreate (test-only, every build) one on the host backend that runs the same step
// logic through the CUDA kernels' host emulations. The calls after that take either handle:
// sessionSetWeights / sessionGetWeights (every weight, concatenated in getWeights() order),
// sessionTrainStep[Async] and sessionInfer[Async] (the loss written into a Float64Array(1)),
// sessionRelease[Async].
#include <cmath>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/session.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {
namespace {

using namespace cuda::session;

constexpr int64_t kMaxSeed = (int64_t(1) << 53) - 1;

// The session itself is made by the first call that uses it, on that call's thread: on the GPU,
// creating the stream and the device memory (and, first time in a process, the CUDA context) can
// take far longer than the event loop may wait, and every later call is async.
struct Holder {
  Spec spec;
  int64_t total = 0;  // floats of all weights
  bool onGpu = false;
  bool released = false;
  std::mutex m;       // one call at a time (NativeSession also queues them, in call order)
  std::unique_ptr<Session> s;
};
using Handle = std::shared_ptr<Holder>;

constexpr napi_type_tag kSessionTag = {0x766967696c2d7365ull, 0x7373696f6e2d7631ull};

Handle handleArg(Args& a, size_t i) {
  Napi::Value v = a.value(i);
  if (!v.IsExternal() || !v.As<Napi::External<Handle>>().CheckTypeTag(&kSessionTag))
    a.typeError("session must be a handle made by sessionCreateCuda");
  return *v.As<Napi::External<Handle>>().Data();
}

// Reads spec.<key> as a number (a TypeError naming it otherwise).
double num(const Napi::Env& env, const Napi::Object& o, const char* what, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}
bool flag(const Napi::Env& env, const Napi::Object& o, const char* what, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) throw Napi::TypeError::New(env, std::string(what) + "." + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}
int64_t whole(const Napi::Env& env, const Napi::Object& o, const char* what, const char* key, int64_t lo, int64_t hi) {
  const double d = num(env, o, what, key);
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || std::floor(d) != d)
    throw Napi::RangeError::New(env, std::string(what) + "." + key + " must be an integer in [" + std::to_string(lo) +
                                         ", " + std::to_string(hi) + "], got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

// { layers: [{ kind, in, units, returnSequences, rate, act, useBias }], loss, onLogits,
//   opt: { kind, beta1, beta2, eps, rho, momentum, nesterov, amsgrad, centered, clip, clipValue } },
// the enums as session.h's integers (ts/bindings/session.ts writes them).
Spec specOf(const Napi::Env& env, Napi::Value v, const char* fn) {
  const std::string w = std::string(fn) + ": spec";
  if (!v.IsObject()) throw Napi::TypeError::New(env, w + " must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value ls = o.Get("layers");
  if (!ls.IsArray()) throw Napi::TypeError::New(env, w + ".layers must be an array");
  Napi::Array arr = ls.As<Napi::Array>();
  Spec s;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const std::string lw = w + ".layers[" + std::to_string(i) + "]";
    Napi::Value e = arr.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, lw + " must be an object");
    Napi::Object l = e.As<Napi::Object>();
    LayerSpec x;
    x.kind = static_cast<LayerKind>(whole(env, l, lw.c_str(), "kind", 0, 5));
    x.in = whole(env, l, lw.c_str(), "in", 0, int64_t(1) << 31);
    x.units = whole(env, l, lw.c_str(), "units", 0, int64_t(1) << 31);
    x.returnSequences = flag(env, l, lw.c_str(), "returnSequences");
    x.rate = num(env, l, lw.c_str(), "rate");
    x.act = static_cast<Act>(whole(env, l, lw.c_str(), "act", 0, 4));
    x.useBias = flag(env, l, lw.c_str(), "useBias");
    s.layers.push_back(x);
  }
  s.loss = static_cast<cuda::lossk::Kind>(whole(env, o, w.c_str(), "loss", 0, 4));
  s.onLogits = flag(env, o, w.c_str(), "onLogits");
  Napi::Value ov = o.Get("opt");
  if (!ov.IsObject()) throw Napi::TypeError::New(env, w + ".opt must be an object");
  Napi::Object op = ov.As<Napi::Object>();
  const std::string ow = w + ".opt";
  const char* oc = ow.c_str();
  s.opt.kind = static_cast<OptKind>(whole(env, op, oc, "kind", 0, 3));
  s.opt.beta1 = static_cast<float>(num(env, op, oc, "beta1"));
  s.opt.beta2 = static_cast<float>(num(env, op, oc, "beta2"));
  s.opt.eps = static_cast<float>(num(env, op, oc, "eps"));
  s.opt.rho = static_cast<float>(num(env, op, oc, "rho"));
  s.opt.momentum = static_cast<float>(num(env, op, oc, "momentum"));
  s.opt.nesterov = flag(env, op, oc, "nesterov");
  s.opt.amsgrad = flag(env, op, oc, "amsgrad");
  s.opt.centered = flag(env, op, oc, "centered");
  s.opt.clip = static_cast<Clip>(whole(env, op, oc, "clip", 0, 3));
  s.opt.clipValue = num(env, op, oc, "clipValue");
  try {
    checkSpec(s);
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, std::string(fn) + ": " + e.what());
  }
  return s;
}

Napi::Value create(const Napi::CallbackInfo& info, const char* fn, bool onGpu) {
  Napi::Env env = info.Env();
  auto h = std::make_shared<Holder>();
  h->spec = specOf(env, info[0], fn);
  for (int64_t n : weightSizes(h->spec)) h->total += n;
  h->onGpu = onGpu;
  auto ext = Napi::External<Handle>::New(env, new Handle(std::move(h)), [](Napi::Env, Handle* p) { delete p; });
  ext.TypeTag(&kSessionTag);
  return ext;
}

// The inputs of a batch: arguments 1 (B), 2 (T), 3 (tokens or x), 4 (lengths | null); targets at
// `ti` (labels for the sparse loss; null allowed when `optional`).
Batch batchOf(Args& a, const Holder& h, size_t ti, bool optional) {
  Batch b;
  b.B = a.dim(1, "batch");
  b.T = a.dim(2, "time");
  const LayerSpec& first = h.spec.layers[0];
  if (first.kind == LayerKind::Embedding) {
    b.tokens = a.i32(3, "tokens", a.product({b.B, b.T}, "batch * time"), 0, static_cast<int32_t>(first.in - 1), true);
  } else {
    b.x = a.f32(3, "x", a.product({b.B, b.T, first.in}, "batch * time * features"));
  }
  b.lengths = a.i32Opt(4, "lengths", b.B, 0, static_cast<int32_t>(std::min<int64_t>(b.T, INT32_MAX)));
  if (optional && a.isNullish(ti)) return b;
  const int64_t C = outputWidth(h.spec);
  if (h.spec.loss == cuda::lossk::Kind::SparseCategoricalCrossentropy)
    b.labels = a.i32(ti, "labels", b.B, 0, static_cast<int32_t>(C - 1));
  else
    b.targets = a.f32(ti, "targets", a.product({b.B, C}, "batch * outputs"));
  return b;
}

// Pointers to each weight in `flat` (every weight, getWeights() order, concatenated).
template <class T>
std::vector<T*> slices(const Spec& spec, T* flat) {
  std::vector<T*> ps;
  for (int64_t n : weightSizes(spec)) {
    ps.push_back(flat);
    flat += n;
  }
  return ps;
}

template <class F>
std::function<void()> locked(Handle h, F f) {
  return [h, f]() {
    std::lock_guard<std::mutex> lock(h->m);
    if (h->released) throw std::runtime_error("the session was released (sessionRelease)");
    if (!h->s) {
      try {
        h->s = h->onGpu ? makeCudaSession(h->spec) : makeHostSession(h->spec);
      } catch (const std::exception& e) {
        // Not made: the next call tries again (e.g. after memory was freed elsewhere).
        throw std::runtime_error(std::string("creating the session: ") + e.what());
      }
    }
    f(*h->s);
  };
}

}  // namespace

void register_session(Napi::Env env, Napi::Object exports) {
  exports.Set("sessionCreateCuda", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return create(info, "sessionCreateCuda", true);
  }, "sessionCreateCuda"));
  exports.Set("_cudaHostSessionCreate", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    return create(info, "_cudaHostSessionCreate", false);
  }, "_cudaHostSessionCreate"));

  // (session, weights [total]): every weight, getWeights() order, concatenated.
  define(env, exports, "sessionSetWeights", [](Args& a) {
    Handle h = handleArg(a, 0);
    const float* w = a.f32(1, "weights", h->total);
    return locked(h, [h, w](Session& s) { s.setWeights(slices(h->spec, w)); });
  });
  define(env, exports, "sessionGetWeights", [](Args& a) {
    Handle h = handleArg(a, 0);
    float* w = a.f32(1, "weights", h->total, false);
    return locked(h, [h, w](Session& s) { s.getWeights(slices(h->spec, w)); });
  });
  // (session): frees the session's memory now instead of when the handle is collected (device
  // memory does not press V8's collector); after any call in flight. Later calls are Errors.
  define(env, exports, "sessionRelease", [](Args& a) {
    Handle h = handleArg(a, 0);
    return std::function<void()>([h]() {
      std::lock_guard<std::mutex> lock(h->m);
      h->s.reset();
      h->released = true;
    });
  });
  // (session, batch, time, tokens | x, lengths | null, targets | labels, sampleWeights | null, seed,
  //  step, t, learningRate, out | null, loss Float64Array(1))
  define(env, exports, "sessionTrainStep", [](Args& a) {
    Handle h = handleArg(a, 0);
    Batch b = batchOf(a, *h, 5, false);
    b.weights = a.f32Opt(6, "sampleWeights", b.B);
    b.seed = static_cast<uint64_t>(a.integer(7, "seed", 0, kMaxSeed));
    b.step = static_cast<uint64_t>(a.integer(8, "step", 0, kMaxSeed / 1024));
    const int64_t t = a.integer(9, "t", 1, kMaxSeed);
    const float lr = static_cast<float>(a.number(10, "learningRate", 0, 1e30));
    float* out = a.f32Opt(11, "out", b.B * outputWidth(h->spec), false);
    double* loss = a.f64Out(12, "loss", 1);
    return locked(h, [b, t, lr, out, loss](Session& s) { *loss = s.trainStep(b, t, lr, out); });
  });
  // (session, batch, time, tokens | x, lengths | null, targets | labels | null, out, loss Float64Array(1))
  define(env, exports, "sessionInfer", [](Args& a) {
    Handle h = handleArg(a, 0);
    Batch b = batchOf(a, *h, 5, true);
    float* out = a.f32(6, "out", a.product({b.B, outputWidth(h->spec)}, "batch * outputs"), false);
    double* loss = a.f64Out(7, "loss", 1);
    return locked(h, [b, out, loss](Session& s) { *loss = s.infer(b, out); });
  });
}

}  // namespace glue
}  // namespace vigil
