// Bindings of the recurrent layers. The LSTM and the SimpleRNN take the same arguments, except
// that only the LSTM has a cell state (c0, cLast, dCn, dc0); glue/rnn.cc registers the RNN
// through defineRecurrent below.
//
// xForward(batch, time, input, hidden, vocab, x, wIh, bias, tokens, table, wHh, h0, [c0],
//          lengths, padding, training, dropout, seed, stream, cache, out, hLast, [cLast], outMax)
// xBackward(batch, time, input, hidden, vocab, x, wIh, tokens, wHh, h0, [c0], lengths, padding,
//           dropout, seed, stream, cache, dY, dHlast, [dCn], dX, dWIh, dTable, dWHh, dBias, dh0, [dc0])
// xCacheSize(batch, time, hidden) -> number
// xForwardCuda, xBackwardCuda (+ Async): the same arguments, run on the GPU (cuda/lstm.cu);
// _cudaHostEmulateXForward / Backward / ForwardPersistent / BackwardPersistent (test-only): their
// grids as host loops.
// _cudaPersistentPlan, _cudaRecurrentPath, _cudaLastRecurrentPath (test-only): the persistent
// forward's plan on a modelled device, the switch between the CUDA forward's paths, and the path
// the last GPU call took (cuda/lstm.h).
// xFoldEmbedding(vocab, embed, hidden, emb, wIh, bias, table)
// xUnfoldGradient(vocab, embed, hidden, emb, wIh, dTable, dEmb, dWIh, dBias)
//
// Dense mode: x given (input >= 1), tokens/table null. Gather mode: x null, tokens + table given
// (vocab >= 1), wIh/bias null (folded into the table). padding: 0 = 'pre', 1 = 'post' (the TS
// wrapper maps the strings: Args reads no strings). Nullable arguments accept null/undefined.
#include "cpu/lstm.h"
#include "cuda/lstm.h"
#include "cuda/lstm_persist.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/recurrent.h"

#include <limits>

namespace vigil {
namespace glue {

namespace {

constexpr int64_t kMaxSeed = (int64_t(1) << 53) - 1;

std::string name(const RecurrentKernels& k, const char* what) { return std::string(k.prefix) + what; }

// Reads the sizes both calls start with; gather mode is x == null.
void readSizes(Args& g, RecurrentArgs& a, bool* gather) {
  a.B = g.dim(0, "batch");
  a.T = g.dim(1, "time");
  a.I = g.dim(2, "input", 0);
  a.H = g.dim(3, "hidden");
  a.V = g.dim(4, "vocab", 0);
  *gather = g.isNullish(5);
  if (*gather) {
    if (a.V < 1) g.rangeError("vocab must be >= 1 in gather mode (x is null), got 0");
    if (a.V > std::numeric_limits<int32_t>::max()) g.rangeError("vocab must fit in 32 bits");
  } else if (a.I < 1) {
    g.rangeError("input must be >= 1 in dense mode (x given), got 0");
  }
  if (a.T > std::numeric_limits<int32_t>::max()) g.rangeError("time must fit in 32 bits");
}

Padding readPadding(Args& g, size_t i) {
  return g.integer(i, "padding (0 = 'pre', 1 = 'post')", 0, 1) == 0 ? Padding::Pre : Padding::Post;
}

float readDropout(Args& g, size_t i) {
  double p = g.number(i, "dropout", 0.0, 1.0);
  if (p >= 1.0) g.rangeError("dropout must be in [0, 1), got 1");
  return static_cast<float>(p);
}

void requireNull(Args& g, size_t i, const char* what, const char* why) {
  if (!g.isNullish(i)) g.typeError(std::string(what) + " must be null " + why);
}

Binding forwardBinding(const RecurrentKernels& kk, RecurrentForward fwd) {
  return [kk, fwd](Args& g) -> std::function<void()> {
    RecurrentArgs a;
    bool gather;
    readSizes(g, a, &gather);
    const int64_t G = kk.gatesPerHidden * a.H;
    const int64_t BT = g.product({a.B, a.T}, "batch * time");
    // Bounds every product below: B*H and B*T*H are at most B*T*G.
    g.product({a.B, a.T, G}, "batch * time * gates");
    const int64_t GH = g.product({G, a.H}, "wHh");
    if (gather) {
      requireNull(g, 6, "wIh", "in gather mode (it is folded into table)");
      requireNull(g, 7, "bias", "in gather mode (it is folded into table)");
      a.tokens = g.i32(8, "tokens", BT, 0, static_cast<int32_t>(a.V - 1), true);
      a.table = g.f32(9, "table", g.product({a.V, G}, "table"));
    } else {
      a.x = g.f32(5, "x", g.product({a.B, a.T, a.I}, "x"));
      a.wIh = g.f32(6, "wIh", g.product({G, a.I}, "wIh"));
      a.bias = g.f32Opt(7, "bias", G);
      requireNull(g, 8, "tokens", "in dense mode (x given)");
      requireNull(g, 9, "table", "in dense mode (x given)");
    }
    a.wHh = g.f32(10, "wHh", GH);
    size_t i = 11;
    a.h0 = g.f32Opt(i++, "h0", a.B * a.H);
    if (kk.hasCell) a.c0 = g.f32Opt(i++, "c0", a.B * a.H);
    a.lengths = g.i32Opt(i++, "lengths", a.B, 0, static_cast<int32_t>(a.T));
    a.padding = readPadding(g, i++);
    const bool training = g.boolean(i++, "training");
    const float dropout = readDropout(g, i++);
    a.seed = static_cast<uint64_t>(g.integer(i++, "seed", 0, kMaxSeed));
    a.stream = static_cast<uint64_t>(g.integer(i++, "stream", 0, kMaxSeed));
    a.dropout = training ? dropout : 0.0f;
    float* cache = nullptr;
    if (training) {
      cache = g.f32(i++, "cache", kk.cacheSize(a.B, a.T, a.H), false);
    } else {
      requireNull(g, i++, "cache", "when training is false");
    }
    float* y = g.f32Opt(i++, "out", g.product({a.B, a.T, a.H}, "out"), false);
    float* hLast = g.f32Opt(i++, "hLast", a.B * a.H, false);
    float* cLast = kk.hasCell ? g.f32Opt(i++, "cLast", a.B * a.H, false) : nullptr;
    float* yMax = g.f32Opt(i++, "outMax", a.B * a.H, false);
    distinct(g,
             {{cache, cache ? kk.cacheSize(a.B, a.T, a.H) : 0, "cache"}, {y, a.B * a.T * a.H, "out"},
              {hLast, a.B * a.H, "hLast"}, {cLast, a.B * a.H, "cLast"}, {yMax, a.B * a.H, "outMax"}},
             {{a.x, a.x ? a.B * a.T * a.I : 0, "x"}, {a.wIh, a.wIh ? G * a.I : 0, "wIh"}, {a.bias, G, "bias"},
              {a.table, a.table ? a.V * G : 0, "table"}, {a.wHh, GH, "wHh"}, {a.h0, a.B * a.H, "h0"},
              {a.c0, a.B * a.H, "c0"}});
    return [a, fwd, cache, y, hLast, cLast, yMax] { fwd(a, cache, y, hLast, cLast, yMax); };
  };
}

Binding backwardBinding(const RecurrentKernels& kk, RecurrentBackward bwd) {
  return [kk, bwd](Args& g) -> std::function<void()> {
    RecurrentArgs a;
    RecurrentGrads d;
    bool gather;
    readSizes(g, a, &gather);
    const int64_t G = kk.gatesPerHidden * a.H;
    const int64_t BT = g.product({a.B, a.T}, "batch * time");
    // Bounds every product below: B*H and B*T*H are at most B*T*G.
    g.product({a.B, a.T, G}, "batch * time * gates");
    const int64_t GH = g.product({G, a.H}, "wHh");
    if (gather) {
      requireNull(g, 6, "wIh", "in gather mode");
      a.tokens = g.i32(7, "tokens", BT, 0, static_cast<int32_t>(a.V - 1), true);
    } else {
      a.x = g.f32(5, "x", g.product({a.B, a.T, a.I}, "x"));
      a.wIh = g.f32(6, "wIh", g.product({G, a.I}, "wIh"));
      requireNull(g, 7, "tokens", "in dense mode (x given)");
    }
    a.wHh = g.f32(8, "wHh", GH);
    size_t i = 9;
    a.h0 = g.f32Opt(i++, "h0", a.B * a.H);
    if (kk.hasCell) a.c0 = g.f32Opt(i++, "c0", a.B * a.H);
    a.lengths = g.i32Opt(i++, "lengths", a.B, 0, static_cast<int32_t>(a.T));
    a.padding = readPadding(g, i++);
    a.dropout = readDropout(g, i++);
    a.seed = static_cast<uint64_t>(g.integer(i++, "seed", 0, kMaxSeed));
    a.stream = static_cast<uint64_t>(g.integer(i++, "stream", 0, kMaxSeed));
    // Not checked for finiteness: the LSTM backward consumes it, and padded entries are unwritten.
    float* cache = g.f32(i++, "cache", kk.cacheSize(a.B, a.T, a.H), false);
    d.dY = g.f32Opt(i++, "dY", a.B * a.T * a.H);
    d.dHlast = g.f32Opt(i++, "dHlast", a.B * a.H);
    if (kk.hasCell) d.dCn = g.f32Opt(i++, "dCn", a.B * a.H);
    if (gather) {
      requireNull(g, i++, "dX", "in gather mode");
      requireNull(g, i++, "dWIh", "in gather mode");
      d.dTable = g.f32Opt(i++, "dTable", g.product({a.V, G}, "dTable"), false);
    } else {
      d.dX = g.f32Opt(i++, "dX", a.B * a.T * a.I, false);
      d.dWIh = g.f32Opt(i++, "dWIh", G * a.I, false);
      requireNull(g, i++, "dTable", "in dense mode");
    }
    d.dWHh = g.f32Opt(i++, "dWHh", GH, false);
    d.dBias = g.f32Opt(i++, "dBias", G, false);
    d.dh0 = g.f32Opt(i++, "dh0", a.B * a.H, false);
    if (kk.hasCell) d.dc0 = g.f32Opt(i++, "dc0", a.B * a.H, false);
    return [a, d, bwd, cache] { bwd(a, cache, d); };
  };
}

}  // namespace

void defineRecurrent(Napi::Env env, Napi::Object exports, const RecurrentKernels& k) {
  const RecurrentKernels kk = k;

  exports.Set(name(k, "CacheSize"), Napi::Function::New(env, [kk](const Napi::CallbackInfo& info) -> Napi::Value {
    const std::string fn = name(kk, "CacheSize");
    Args g(info, fn.c_str());
    int64_t B = g.dim(0, "batch"), T = g.dim(1, "time"), H = g.dim(2, "hidden");
    g.product({B, T, H, 6}, "cache");
    return Napi::Number::New(info.Env(), static_cast<double>(kk.cacheSize(B, T, H)));
  }));

  define(env, exports, name(k, "Forward").c_str(), forwardBinding(k, k.forward));
  define(env, exports, name(k, "Backward").c_str(), backwardBinding(k, k.backward));
  // The same on the GPU (cuda/lstm.cu); a JS Error when the addon has no CUDA or the call fails.
  define(env, exports, name(k, "ForwardCuda").c_str(), forwardBinding(k, k.cudaForward));
  define(env, exports, name(k, "BackwardCuda").c_str(), backwardBinding(k, k.cudaBackward));
  // Test-only: the CUDA kernels' grids run as host loops, in every build.
  const std::string host = std::string("_cudaHostEmulate") + k.Prefix;
  define(env, exports, (host + "Forward").c_str(), forwardBinding(k, k.hostForward));
  define(env, exports, (host + "Backward").c_str(), backwardBinding(k, k.hostBackward));
  define(env, exports, (host + "ForwardPersistent").c_str(), forwardBinding(k, k.hostPersistentForward));
  define(env, exports, (host + "BackwardPersistent").c_str(), backwardBinding(k, k.hostPersistentBackward));

  define(env, exports, name(k, "FoldEmbedding").c_str(), [kk](Args& g) -> std::function<void()> {
    int64_t V = g.dim(0, "vocab"), E = g.dim(1, "embed"), H = g.dim(2, "hidden");
    const int64_t G = g.product({kk.gatesPerHidden, H}, "gates");
    const float* emb = g.f32(3, "emb", g.product({V, E}, "emb"));
    const float* wIh = g.f32(4, "wIh", g.product({G, E}, "wIh"));
    const float* bias = g.f32Opt(5, "bias", G);
    float* table = g.f32(6, "table", g.product({V, G}, "table"), false);
    return [=] { foldEmbedding(V, E, G, emb, wIh, bias, table); };
  });

  define(env, exports, name(k, "UnfoldGradient").c_str(), [kk](Args& g) -> std::function<void()> {
    int64_t V = g.dim(0, "vocab"), E = g.dim(1, "embed"), H = g.dim(2, "hidden");
    const int64_t G = g.product({kk.gatesPerHidden, H}, "gates");
    const float* emb = g.f32(3, "emb", g.product({V, E}, "emb"));
    const float* wIh = g.f32(4, "wIh", g.product({G, E}, "wIh"));
    const float* dTable = g.f32(5, "dTable", g.product({V, G}, "dTable"));
    float* dEmb = g.f32Opt(6, "dEmb", V * E, false);
    float* dWIh = g.f32Opt(7, "dWIh", G * E, false);
    float* dBias = g.f32Opt(8, "dBias", G, false);
    return [=] { unfoldGradient(V, E, G, emb, wIh, dTable, dEmb, dWIh, dBias); };
  });
}

namespace {

// cuda/lstm.h's RecurrentPath values, in order, as the bindings spell them.
constexpr const char* kPathNames[] = {"auto", "step", "persistent"};

// Test-only: the persistent kernel's plan for a modelled device (cuda/lstm_persist.h), and the
// switch between the CUDA forward's two paths (cuda/lstm.h's RecurrentPath).
void definePersistentTools(Napi::Env env, Napi::Object exports) {
  // _cudaPersistentPlan(hidden, gatesPerHidden, budgetBytes, sms, blocksPerSm, sharedPerSm) ->
  // { units, blocks, sharedBytes, first: Int32Array, count: Int32Array } (each block's units), or
  // the reason there is no plan (a string).
  exports.Set("_cudaPersistentPlan", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args g(info, "_cudaPersistentPlan");
    const int64_t H = g.dim(0, "hidden"), nz = g.integer(1, "gatesPerHidden", 1, 4);
    const int64_t budget = g.dim(2, "budgetBytes", 0), sms = g.dim(3, "sms"), perSm = g.dim(4, "blocksPerSm");
    const int64_t shared = g.dim(5, "sharedPerSm", 0);
    cuda::rnnk::PersistPlan plan{};
    const char* why = cuda::rnnk::planPersistent(
        H, nz, static_cast<size_t>(budget),
        [&](size_t bytes) { return cuda::rnnk::modelCoResident(bytes, sms, perSm, static_cast<size_t>(shared)); },
        &plan);
    if (why != nullptr) return Napi::String::New(info.Env(), why);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("units", Napi::Number::New(info.Env(), static_cast<double>(plan.units)));
    o.Set("blocks", Napi::Number::New(info.Env(), static_cast<double>(plan.blocks)));
    o.Set("sharedBytes", Napi::Number::New(info.Env(), static_cast<double>(plan.sharedBytes)));
    Napi::Int32Array first = Napi::Int32Array::New(info.Env(), static_cast<size_t>(plan.blocks));
    Napi::Int32Array count = Napi::Int32Array::New(info.Env(), static_cast<size_t>(plan.blocks));
    for (int64_t b = 0; b < plan.blocks; ++b) {
      int64_t j0, j1;
      cuda::rnnk::sliceOf(plan, H, b, &j0, &j1);
      first[static_cast<size_t>(b)] = static_cast<int32_t>(j0);
      count[static_cast<size_t>(b)] = static_cast<int32_t>(j1 - j0);
    }
    o.Set("first", first);
    o.Set("count", count);
    return o;
  }));
  // _cudaRecurrentPath('auto' | 'step' | 'persistent') -> the previous one.
  exports.Set("_cudaRecurrentPath", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Args g(info, "_cudaRecurrentPath");
    const int mode = g.oneOf(0, "path", {kPathNames[0], kPathNames[1], kPathNames[2]});
    const cuda::RecurrentPath before = cuda::setRecurrentPath(static_cast<cuda::RecurrentPath>(mode));
    return Napi::String::New(info.Env(), kPathNames[static_cast<int>(before)]);
  }));
  // _cudaLastRecurrentPath() -> { forward, backward }: 'step' or 'persistent', the kernels that ran
  // the last GPU call's steps ('auto' before the first).
  exports.Set("_cudaLastRecurrentPath", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("forward", Napi::String::New(info.Env(), kPathNames[static_cast<int>(cuda::lastRecurrentPath(false))]));
    o.Set("backward", Napi::String::New(info.Env(), kPathNames[static_cast<int>(cuda::lastRecurrentPath(true))]));
    return o;
  }));
}

}  // namespace

void register_lstm(Napi::Env env, Napi::Object exports) {
  defineRecurrent(env, exports,
                  RecurrentKernels{"lstm", "Lstm", 4, true, lstmCacheSize, lstmForward, lstmBackward, cuda::lstmForward,
                                   cuda::host::lstmForward, cuda::lstmBackward, cuda::host::lstmBackward,
                                   cuda::host::lstmForwardPersistent, cuda::host::lstmBackwardPersistent});
  definePersistentTools(env, exports);
}

}  // namespace glue
}  // namespace vigil
