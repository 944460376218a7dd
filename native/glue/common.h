// The glue layer's shared pieces: argument checking with errors that name the argument, and
// the one way a kernel call runs either inline or on a libuv worker thread behind a Promise.
// Kernels (native/cpu/*) never see N-API; glue files (native/glue/<family>.cc) convert.
#pragma once
#include <napi.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace vigil {
namespace glue {

// Largest element count accepted for one tensor: far above any real model, far below
// overflow of 64-bit index arithmetic, and below what a typed array can hold.
constexpr int64_t kMaxElements = int64_t(1) << 34;

// Reads and checks the arguments of one binding call. Every accessor throws a TypeError
// (wrong type, detached buffer) or RangeError (bad size, length, value) naming `fn` and the
// argument, with the expected and the given value.
class Args {
 public:
  // async: the call's work runs on a worker thread (define's `nameAsync`); then the NaN/Infinity
  // scans of large inputs run there too, just before the work, instead of blocking the event loop.
  Args(const Napi::CallbackInfo& info, const char* fn, bool async = false);

  Napi::Env env() const { return info_.Env(); }
  const char* fn() const { return fn_; }

  // An integer in [min, max].
  int64_t integer(size_t i, const char* name, int64_t min, int64_t max);
  // A size (dimension): an integer in [1, kMaxElements] unless min says otherwise.
  int64_t dim(size_t i, const char* name, int64_t min = 1) { return integer(i, name, min, kMaxElements); }
  // A finite number in [min, max].
  double number(size_t i, const char* name, double min = -1e300, double max = 1e300);
  bool boolean(size_t i, const char* name);
  // A string that must be one of `choices`; returns its index.
  int oneOf(size_t i, const char* name, std::initializer_list<const char*> choices);
  bool isNullish(size_t i) const;
  // Argument i as given (handles: an External the binding checks itself).
  Napi::Value value(size_t i) const { return info_[i]; }

  // A Float32Array of exactly `len` elements. Inputs are checked for NaN/Infinity unless
  // finite is false (outputs, gradient accumulators that are overwritten).
  float* f32(size_t i, const char* name, int64_t len, bool finite = true);
  // An Int32Array of exactly `len` elements, every value in [min, max] (token ids index
  // tables, lengths bound loops: out-of-range values would read outside memory). `deferrable`:
  // the binding reads the values only inside its work, so an async call may check them on the
  // worker (large inputs); never for values the binding itself uses to size or plan the call.
  int32_t* i32(size_t i, const char* name, int64_t len, int32_t min, int32_t max, bool deferrable = false);
  // A Float64Array of exactly `len` elements, written by the call (a scalar result such as a loss,
  // which the Promise form cannot return).
  double* f64Out(size_t i, const char* name, int64_t len);
  // A Float32Array of any non-zero length (the length is the size): for element-wise calls.
  float* f32Any(size_t i, const char* name, int64_t* len, bool finite = true);
  // An Int32Array of any non-zero length, its values unchecked: for scans that report them.
  int32_t* i32Any(size_t i, const char* name, int64_t* len);
  // Same, but null/undefined gives nullptr.
  float* f32Opt(size_t i, const char* name, int64_t len, bool finite = true);
  int32_t* i32Opt(size_t i, const char* name, int64_t len, int32_t min, int32_t max);

  // Product of dimensions with an overflow/size check; `what` names it in the error.
  int64_t product(std::initializer_list<int64_t> dims, const char* what);

  [[noreturn]] void typeError(const std::string& msg) const;
  [[noreturn]] void rangeError(const std::string& msg) const;

  // Typed arrays read so far: an async call holds references to them until it settles.
  const std::vector<Napi::Value>& buffers() const { return buffers_; }

  // An input's value check left for the worker (async calls, large inputs): floats must be finite,
  // int32 values within [min, max].
  struct Scan {
    const float* f;     // a float input, or null
    const int32_t* i;   // an int32 input, or null
    int64_t len;
    int32_t min, max;
    std::string message;  // "<fn>: <name> ...", completed with the value found and its index
  };
  const std::vector<Scan>& deferred() const { return deferred_; }

 private:
  Napi::TypedArray typedArray(size_t i, const char* name, napi_typedarray_type type, const char* typeName, int64_t len);
  // The length of a typed array of `type` (not detached, not empty).
  int64_t anyLength(size_t i, const char* name, napi_typedarray_type type, const char* typeName);
  const Napi::CallbackInfo& info_;
  const char* fn_;
  bool async_;
  std::vector<Napi::Value> buffers_;
  std::vector<Scan> deferred_;
};

// Runs `work` on the calling thread (async = false, returns undefined) or on a libuv worker
// (async = true, returns a Promise that resolves to undefined). The worker holds references
// to every buffer in args.buffers() until it settles, so the caller may drop them. A C++
// exception from `work` becomes an Error (a rejected Promise), never an abort.
Napi::Value run(Args& args, bool async, std::function<void()> work);

// Index of the first value of p[0, len) outside [lo, hi] (NaN is outside every range), or -1;
// a SIMD scan at near memory speed (the glue's NaN/Infinity check is the range of finite floats).
int64_t firstOutside(const float* p, int64_t len, float lo, float hi);
// Index of the first value of p[0, len) outside [min, max], or -1 (blocks tested without a branch).
int64_t firstOutsideI32(const int32_t* p, int64_t len, int32_t min, int32_t max);

// Registers `name` (synchronous) and `name + "Async"` (Promise) for one binding whose body
// reads its arguments through Args and returns the work to run.
using Binding = std::function<std::function<void()>(Args&)>;
void define(Napi::Env env, Napi::Object exports, const char* name, Binding body);

// One array argument as memory: its first element, its length in floats, its name.
struct Span {
  const float* p;
  int64_t n;
  const char* name;
};

// Outputs are written while inputs are read (by several threads): an output that shares memory
// with another output or with an input would give garbage, so that is a RangeError naming both.
// Inputs may share memory with each other. Null spans (absent optional arguments) are skipped.
void distinct(Args& a, std::initializer_list<Span> written, std::initializer_list<Span> read = {});

}  // namespace glue
}  // namespace vigil
