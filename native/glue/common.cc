#include "glue/common.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <sstream>

namespace vigil {
namespace glue {
namespace {

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    static const char* names[] = {"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
                                  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array",
                                  "BigUint64Array"};
    auto t = v.As<Napi::TypedArray>();
    int type = static_cast<int>(t.TypedArrayType());
    std::ostringstream s;
    s << (type >= 0 && type < 11 ? names[type] : "TypedArray") << " of length " << t.ElementLength();
    return s.str();
  }
  if (v.IsArray()) return "an Array";
  if (v.IsNumber()) {
    std::ostringstream s;
    s << v.As<Napi::Number>().DoubleValue();
    return s.str();
  }
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsFunction()) return "a function";
  if (v.IsBigInt()) return "a bigint";
  return "an object";
}

// Index of the first NaN or infinity in p[0, len), or -1.
int64_t firstNonFinite(const float* p, int64_t len) {
  return firstOutside(p, len, -std::numeric_limits<float>::max(), std::numeric_limits<float>::max());
}

// Inputs of at least this many floats are scanned for NaN/Infinity on the worker in async calls.
constexpr int64_t kDeferScan = int64_t(1) << 16;

// ", got <value> at index <k>": the end of a non-finite input's error.
std::string nonFiniteAt(const float* p, int64_t k) {
  std::ostringstream s;
  s << ", got " << (std::isnan(p[k]) ? "NaN" : p[k] > 0 ? "Infinity" : "-Infinity") << " at index " << k;
  return s.str();
}

std::string nonFiniteMessage(const char* name, const float* p, int64_t k) {
  return std::string(name) + " must hold finite numbers" + nonFiniteAt(p, k);
}

std::string rangeHead(const char* name, int32_t min, int32_t max) {
  std::ostringstream s;
  s << name << " values must be in [" << min << ", " << max << "]";
  return s.str();
}

std::string intAt(const int32_t* p, int64_t k) {
  return ", got " + std::to_string(p[k]) + " at index " + std::to_string(k);
}

class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, const char* fn, std::function<void()> work, const std::vector<Napi::Value>& buffers,
       std::vector<Args::Scan> scans)
      : Napi::AsyncWorker(env, "vigil"), fn_(fn), work_(std::move(work)), scans_(std::move(scans)),
        deferred_(Napi::Promise::Deferred::New(env)) {
    // Pin every input and output buffer for the worker's lifetime (sharp's pattern).
    Napi::Object keep = Napi::Object::New(env);
    for (size_t i = 0; i < buffers.size(); ++i) keep.Set(static_cast<uint32_t>(i), buffers[i]);
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    // The inputs' scans first, as the synchronous call makes them before any work: a non-finite
    // input rejects with the same RangeError and leaves every output untouched.
    for (const Args::Scan& c : scans_) {
      const int64_t k = c.f != nullptr ? firstNonFinite(c.f, c.len) : firstOutsideI32(c.i, c.len, c.min, c.max);
      if (k >= 0) {
        range_ = true;
        SetError(c.message + (c.f != nullptr ? nonFiniteAt(c.f, k) : intAt(c.i, k)));
        return;
      }
    }
    try {
      work_();
    } catch (const std::bad_alloc&) {
      SetError(fn_ + ": out of memory");
    } catch (const std::exception& e) {
      SetError(fn_ + ": " + e.what());
    } catch (...) {
      SetError(fn_ + ": unknown native error");
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override {
    if (range_) {
      deferred_.Reject(Napi::RangeError::New(Env(), e.Message()).Value());
    } else {
      deferred_.Reject(e.Value());
    }
  }

 private:
  std::string fn_;
  Napi::ObjectReference keep_;
  std::function<void()> work_;
  std::vector<Args::Scan> scans_;
  bool range_ = false;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

namespace {

// "a Float32Array", "an Int32Array" (U is read "you": "a Uint8Array").
std::string withArticle(const char* typeName) {
  return std::string(std::strchr("AEIO", typeName[0]) != nullptr ? "an " : "a ") + typeName;
}

// Index of the first value of p[0, len) outside [lo, hi] (NaN is outside every range), or -1.
// Each block ORs the range test over its values without a branch, which the compiler turns into
// SIMD compares at the baseline ISA (SSE2), so the scan runs near memory speed instead of one
// branch per value. Only a block that holds one is searched again for its index.
template <class T>
int64_t firstOutsideOf(const T* p, int64_t len, T lo, T hi) {
  constexpr int64_t kBlock = 2048;
  for (int64_t b = 0; b < len; b += kBlock) {
    const int64_t n = std::min(kBlock, len - b);
    const T* q = p + b;
    int bad = 0;
    for (int64_t k = 0; k < n; ++k) bad |= static_cast<int>(!(q[k] >= lo) | !(q[k] <= hi));
    if (bad != 0) {
      for (int64_t k = 0; k < n; ++k)
        if (!(q[k] >= lo && q[k] <= hi)) return b + k;
    }
  }
  return -1;
}

}  // namespace

int64_t firstOutside(const float* p, int64_t len, float lo, float hi) { return firstOutsideOf(p, len, lo, hi); }
int64_t firstOutsideI32(const int32_t* p, int64_t len, int32_t min, int32_t max) {
  return firstOutsideOf(p, len, min, max);
}

Args::Args(const Napi::CallbackInfo& info, const char* fn, bool async) : info_(info), fn_(fn), async_(async) {}

void Args::typeError(const std::string& msg) const {
  throw Napi::TypeError::New(info_.Env(), std::string(fn_) + ": " + msg);
}
void Args::rangeError(const std::string& msg) const {
  throw Napi::RangeError::New(info_.Env(), std::string(fn_) + ": " + msg);
}

bool Args::isNullish(size_t i) const { return i >= info_.Length() || info_[i].IsNull() || info_[i].IsUndefined(); }

int64_t Args::integer(size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(std::string(name) + " must be a number, got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    std::ostringstream s;
    s << name << " must be an integer in [" << min << ", " << max << "], got " << describe(v);
    rangeError(s.str());
  }
  return static_cast<int64_t>(d);
}

double Args::number(size_t i, const char* name, double min, double max) {
  Napi::Value v = info_[i];
  if (!v.IsNumber()) typeError(std::string(name) + " must be a number, got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < min || d > max) {
    std::ostringstream s;
    s << name << " must be a finite number in [" << min << ", " << max << "], got " << describe(v);
    rangeError(s.str());
  }
  return d;
}

bool Args::boolean(size_t i, const char* name) {
  Napi::Value v = info_[i];
  if (!v.IsBoolean()) typeError(std::string(name) + " must be a boolean, got " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

int Args::oneOf(size_t i, const char* name, std::initializer_list<const char*> choices) {
  Napi::Value v = info_[i];
  std::string list;
  for (const char* c : choices) list += (list.empty() ? "'" : ", '") + std::string(c) + "'";
  if (!v.IsString()) typeError(std::string(name) + " must be one of " + list + ", got " + describe(v));
  std::string got = v.As<Napi::String>().Utf8Value();
  int k = 0;
  for (const char* c : choices) {
    if (got == c) return k;
    ++k;
  }
  rangeError(std::string(name) + " must be one of " + list + ", got '" + got + "'");
}

int64_t Args::product(std::initializer_list<int64_t> dims, const char* what) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && p > kMaxElements / d)) {
      std::ostringstream s;
      s << what << " is too large (over " << kMaxElements << " elements)";
      rangeError(s.str());
    }
    p *= d;
  }
  return p;
}

Napi::TypedArray Args::typedArray(size_t i, const char* name, napi_typedarray_type type, const char* typeName,
                                  int64_t len) {
  Napi::Value v = info_[i];
  std::ostringstream want;
  want << name << " must be " << withArticle(typeName) << " of length " << len;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    typeError(want.str() + ", got " + describe(v));
  auto t = v.As<Napi::TypedArray>();
  bool detached = false;
  napi_status st = napi_is_detached_arraybuffer(info_.Env(), t.ArrayBuffer(), &detached);
  if (st != napi_ok || detached) typeError(std::string(name) + " is backed by a detached ArrayBuffer");
  if (static_cast<int64_t>(t.ElementLength()) != len) rangeError(want.str() + ", got " + describe(v));
  buffers_.push_back(v);
  return t;
}

float* Args::f32(size_t i, const char* name, int64_t len, bool finite) {
  auto t = typedArray(i, name, napi_float32_array, "Float32Array", len);
  float* p = t.As<Napi::Float32Array>().Data();
  if (finite) {
    // Scanned on the worker when the call is async and the input large enough for the scan to
    // matter to the event loop (~20 us and up); small ones here, so their errors stay synchronous.
    if (async_ && len >= kDeferScan) {
      deferred_.push_back({p, nullptr, len, 0, 0, std::string(fn_) + ": " + name + " must hold finite numbers"});
    } else {
      const int64_t k = firstNonFinite(p, len);
      if (k >= 0) rangeError(nonFiniteMessage(name, p, k));
    }
  }
  return p;
}

double* Args::f64Out(size_t i, const char* name, int64_t len) {
  return typedArray(i, name, napi_float64_array, "Float64Array", len).As<Napi::Float64Array>().Data();
}

int32_t* Args::i32(size_t i, const char* name, int64_t len, int32_t min, int32_t max, bool deferrable) {
  auto t = typedArray(i, name, napi_int32_array, "Int32Array", len);
  int32_t* p = t.As<Napi::Int32Array>().Data();
  // As f32's finite check: on the worker for large inputs of async calls, here otherwise.
  if (deferrable && async_ && len >= kDeferScan) {
    deferred_.push_back({nullptr, p, len, min, max, std::string(fn_) + ": " + rangeHead(name, min, max)});
  } else {
    const int64_t k = firstOutsideI32(p, len, min, max);
    if (k >= 0) rangeError(rangeHead(name, min, max) + intAt(p, k));
  }
  return p;
}

int64_t Args::anyLength(size_t i, const char* name, napi_typedarray_type type, const char* typeName) {
  Napi::Value v = info_[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    typeError(std::string(name) + " must be " + withArticle(typeName) + ", got " + describe(v));
  auto t = v.As<Napi::TypedArray>();
  bool detached = false;
  if (napi_is_detached_arraybuffer(info_.Env(), t.ArrayBuffer(), &detached) != napi_ok || detached)
    typeError(std::string(name) + " is backed by a detached ArrayBuffer");
  const auto len = static_cast<int64_t>(t.ElementLength());
  if (len == 0) rangeError(std::string(name) + " must not be empty");
  return len;
}

float* Args::f32Any(size_t i, const char* name, int64_t* len, bool finite) {
  *len = anyLength(i, name, napi_float32_array, "Float32Array");
  return f32(i, name, *len, finite);
}

int32_t* Args::i32Any(size_t i, const char* name, int64_t* len) {
  *len = anyLength(i, name, napi_int32_array, "Int32Array");
  return typedArray(i, name, napi_int32_array, "Int32Array", *len).As<Napi::Int32Array>().Data();
}

float* Args::f32Opt(size_t i, const char* name, int64_t len, bool finite) {
  return isNullish(i) ? nullptr : f32(i, name, len, finite);
}
int32_t* Args::i32Opt(size_t i, const char* name, int64_t len, int32_t min, int32_t max) {
  return isNullish(i) ? nullptr : i32(i, name, len, min, max);
}

Napi::Value run(Args& args, bool async, std::function<void()> work) {
  Napi::Env env = args.env();
  if (async) {
    auto* task = new Task(env, args.fn(), std::move(work), args.buffers(), args.deferred());
    Napi::Promise p = task->promise();
    task->Queue();
    return p;
  }
  try {
    work();
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, std::string(args.fn()) + ": out of memory");
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(args.fn()) + ": " + e.what());
  }
  return env.Undefined();
}

void define(Napi::Env env, Napi::Object exports, const char* name, Binding body) {
  auto make = [body](const char* fn, bool async) {
    return [body, fn, async](const Napi::CallbackInfo& info) -> Napi::Value {
      Args args(info, fn, async);
      std::function<void()> work = body(args);
      return run(args, async, std::move(work));
    };
  };
  // Names live as long as the module: keep them in static storage.
  static std::vector<std::unique_ptr<std::string>> names;
  names.push_back(std::make_unique<std::string>(name));
  names.push_back(std::make_unique<std::string>(std::string(name) + "Async"));
  const char* syncName = names[names.size() - 2]->c_str();
  const char* asyncName = names.back()->c_str();
  exports.Set(syncName, Napi::Function::New(env, make(syncName, false), syncName));
  exports.Set(asyncName, Napi::Function::New(env, make(asyncName, true), asyncName));
}

namespace {
bool overlap(const Span& x, const Span& y) {
  return x.p != nullptr && y.p != nullptr && x.p < y.p + y.n && y.p < x.p + x.n;
}
}  // namespace

void distinct(Args& a, std::initializer_list<Span> written, std::initializer_list<Span> read) {
  const std::vector<Span> w(written), r(read);
  for (size_t i = 0; i < w.size(); ++i) {
    for (size_t j = i + 1; j < w.size(); ++j) {
      if (overlap(w[i], w[j])) a.rangeError(std::string(w[i].name) + " must not share memory with " + w[j].name);
    }
    for (const Span& in : r) {
      if (overlap(w[i], in)) a.rangeError(std::string(w[i].name) + " must not share memory with " + in.name);
    }
  }
}

}  // namespace glue
}  // namespace vigil
