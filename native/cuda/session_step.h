// The session's step logic (session.h), written once over a backend Bk that owns the memory and
// runs the grids: session.cu instantiates it with device memory and the cuda::dev:: entry points
// on one stream, session_host.cc with host vectors and the cuda::host:: emulations. The order of
// the operations is the CPU Sequential's (training.ts gradients + update, the layers' forward and
// backward), so both backends follow the CPU fit within float32 rounding.
//
// Bk provides: Buf<T> (get(), size()), alloc<T>(n), up / down (host <-> backend, n elements),
// zero, sync (wait for everything queued), gemm (C = op(A) op(B)), gather / scatter (the
// Embedding's), biasAdd, biasGrad, act,
// actBack, softmax, softmaxBack, loss, recurrentForward / recurrentBackward, maxPool / maxPoolBack,
// dropout / dropoutSeq, clip, the four optimizer steps, and `where` (a prefix for error messages).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/activation.h"
#include "cpu/lstm.h"
#include "cpu/rnn.h"
#include "cuda/clip.h"
#include "cuda/session.h"

namespace vigil {
namespace cuda {
namespace session {

// clip.h's mode for the spec's clipping (never Clip::None: no clipping calls nothing).
inline ClipMode clipModeOf(Clip c) {
  return c == Clip::Value ? ClipMode::Value : c == Clip::Norm ? ClipMode::Norm : ClipMode::GlobalNorm;
}

template <class Bk>
class SessionT final : public Session {
  template <class T>
  using Buf = typename Bk::template Buf<T>;

  // What one layer keeps between its forward and backward (grown, never shrunk, across batches).
  struct Layer {
    Buf<float> out, cache, dIn, table, dTable, z;
    Buf<int32_t> arg;
    RecurrentArgs args;   // the recurrent forward's arguments, replayed by the backward
    const float* in = nullptr;  // the input the forward read (Dense, Dropout)
    int64_t N = 0, T = 0, F = 0;  // the input's rows, steps (sequences) and features
    bool seq = false, active = false;
    uint64_t stream = 0;
  };

  // A tensor between two layers: tokens (before the folded Embedding) or floats, 2-D or per step.
  struct Flow {
    const float* x;
    int64_t T, F;
    bool seq;
  };

 public:
  explicit SessionT(const Spec& s) : spec_(s), layers_(s.layers.size()) {
    checkSpec(s);
    sizes_ = weightSizes(s);
    int64_t at = 0;
    for (int64_t n : sizes_) {
      offs_.push_back(at);
      at += n;
    }
    total_ = at;
    params_ = bk_.template alloc<float>(total_);
    grads_ = bk_.template alloc<float>(total_);
    const OptKind k = s.opt.kind;
    // Optimizer state, zeroed as the CPU's fresh state: SGD velocity; Adam m, v, v̂; RMSprop v,
    // momentum, mean gradient; Nadam m, v.
    const bool one = k != OptKind::Sgd || s.opt.momentum != 0.0f;
    const bool two = k == OptKind::Adam || k == OptKind::Nadam || (k == OptKind::Rmsprop && s.opt.momentum > 0.0f);
    const bool three = (k == OptKind::Adam && s.opt.amsgrad) || (k == OptKind::Rmsprop && s.opt.centered);
    for (auto [want, buf] : {std::pair<bool, Buf<float>*>{one, &s1_}, {two, &s2_}, {three, &s3_}}) {
      if (!want) continue;
      *buf = bk_.template alloc<float>(total_);
      bk_.zero(buf->get(), total_);
    }
    bk_.zero(grads_.get(), total_);
    // cudaMalloc's memory holds whatever was there; zeros until setWeights, as the host backend's vectors.
    bk_.zero(params_.get(), total_);
  }

  void setWeights(const std::vector<const float*>& w) override {
    for (size_t j = 0; j < sizes_.size(); ++j) bk_.up(params_.get() + offs_[j], w[j], sizes_[j]);
  }

  void getWeights(const std::vector<float*>& w) override {
    for (size_t j = 0; j < sizes_.size(); ++j) bk_.down(w[j], params_.get() + offs_[j], sizes_[j]);
  }

  double trainStep(const Batch& b, int64_t t, float lr, float* out) override {
    upload(b, true);
    const int64_t C = outputWidth(spec_);
    grow(dLoss_, b.B * C);
    const float* y = forward(b, true);
    const double loss = lossOf(b, y, dLoss_.get());
    if (out != nullptr) bk_.down(out, y, b.B * C);
    backward(b);
    update(t, lr);
    // The call ends when the step has: a failure in the update is this call's error, not the next's.
    bk_.sync();
    return loss;
  }

  double infer(const Batch& b, float* out) override {
    const bool targets = b.targets != nullptr || b.labels != nullptr;
    upload(b, targets);
    const float* y = forward(b, false);
    const double loss = targets ? lossOf(b, y, nullptr) : 0.0;
    bk_.down(out, y, b.B * outputWidth(spec_));
    return loss;
  }

  int64_t bytes() const override { return bk_.bytes(); }

 private:
  const float* W(size_t j) const { return params_.get() + offs_[j]; }
  float* dW(size_t j) { return grads_.get() + offs_[j]; }

  template <class T>
  void grow(Buf<T>& buf, int64_t n) {
    if (static_cast<int64_t>(buf.size()) < n) buf = bk_.template alloc<T>(n);
  }

  // The batch's inputs at the edge: into buffers of the backend that grow to the largest batch.
  void upload(const Batch& b, bool targets) {
    const LayerSpec& first = spec_.layers[0];
    if (first.kind == LayerKind::Embedding) {
      grow(tokens_, b.B * b.T);
      bk_.up(tokens_.get(), b.tokens, b.B * b.T);
    } else {
      grow(x_, b.B * b.T * first.in);
      bk_.up(x_.get(), b.x, b.B * b.T * first.in);
    }
    hasLengths_ = b.lengths != nullptr;
    if (hasLengths_) {
      grow(lengths_, b.B);
      bk_.up(lengths_.get(), b.lengths, b.B);
    }
    if (!targets) return;
    const int64_t C = outputWidth(spec_);
    if (b.labels != nullptr) {
      grow(labels_, b.B);
      bk_.up(labels_.get(), b.labels, b.B);
    } else {
      grow(targets_, b.B * C);
      bk_.up(targets_.get(), b.targets, b.B * C);
    }
    hasWeights_ = b.weights != nullptr;
    if (hasWeights_) {
      grow(weights_, b.B);
      bk_.up(weights_.get(), b.weights, b.B);
    }
    grow(weighted_, b.B);
    grow(lossOut_, 1);
  }

  const int32_t* lengths() const { return hasLengths_ ? lengths_.get() : nullptr; }

  // Index of the first weight of layer i (getWeights() order).
  size_t firstWeight(size_t i) const {
    size_t j = 0;
    for (size_t k = 0; k < i; ++k) j += countWeights(spec_.layers[k]);
    return j;
  }
  static size_t countWeights(const LayerSpec& l) {
    switch (l.kind) {
      case LayerKind::Embedding: return 1;
      case LayerKind::Lstm:
      case LayerKind::Rnn: return 3;
      case LayerKind::Dense: return l.useBias ? 2 : 1;
      default: return 0;
    }
  }

  const float* forward(const Batch& b, bool training) {
    const int64_t B = b.B;
    Flow f{x_.get(), b.T, spec_.layers[0].in, true};
    for (size_t i = 0; i < spec_.layers.size(); ++i) {
      const LayerSpec& s = spec_.layers[i];
      Layer& L = layers_[i];
      const size_t j = firstWeight(i);
      L.stream = b.step * 1024 + i;
      L.in = f.x;
      L.N = f.seq ? B * f.T : B;
      L.T = f.T;
      L.F = f.F;
      L.seq = f.seq;
      switch (s.kind) {
        case LayerKind::Embedding: {
          if (!folded(i)) {
            grow(L.out, B * b.T * s.units);
            bk_.gather(s.units, B * b.T, tokens_.get(), W(j), L.out.get());
            f = Flow{L.out.get(), b.T, s.units, true};
            break;
          }
          // Sequential folds the Embedding into a recurrent layer right after it: table [V, G] =
          // emb · W_ihᵀ + bias, so that layer's input projection is a row gather.
          const LayerSpec& r = spec_.layers[i + 1];
          const int64_t V = s.in, E = s.units, G = gates(r);
          Layer& R = layers_[i + 1];
          grow(R.table, V * G);
          bk_.gemm(false, true, V, G, E, W(j), E, W(j + 1), E, R.table.get(), G);
          bk_.biasAdd(V, G, W(j + 3), R.table.get());
          f = Flow{nullptr, b.T, E, true};
          break;
        }
        case LayerKind::Lstm:
        case LayerKind::Rnn: {
          const bool lstm = s.kind == LayerKind::Lstm;
          const int64_t H = s.units, T = f.T;
          const bool gather = i > 0 && folded(i - 1);
          RecurrentArgs a;
          a.B = B;
          a.T = T;
          a.I = s.in;
          a.H = H;
          if (gather) {
            a.V = spec_.layers[i - 1].in;
            a.tokens = tokens_.get();
            a.table = L.table.get();
          } else {
            a.x = f.x;
            a.wIh = W(j);
            a.bias = W(j + 2);
          }
          a.wHh = W(j + 1);
          a.lengths = lengths();
          a.padding = Padding::Pre;
          a.dropout = training ? static_cast<float>(s.rate) : 0.0f;
          a.seed = b.seed;
          a.stream = L.stream;
          L.args = a;
          float* cache = nullptr;
          if (training) {
            grow(L.cache, lstm ? lstmCacheSize(B, T, H) : rnnCacheSize(B, T, H));
            cache = L.cache.get();
          }
          grow(L.out, s.returnSequences ? B * T * H : B * H);
          bk_.recurrentForward(lstm, a, cache, s.returnSequences ? L.out.get() : nullptr,
                               s.returnSequences ? nullptr : L.out.get());
          f = Flow{L.out.get(), T, H, s.returnSequences};
          break;
        }
        case LayerKind::MaxPool: {
          if (B * f.T * f.F > INT32_MAX) throw std::range_error(bk_.where() + ": GlobalMaxPooling1D input over 2^31 values");
          grow(L.out, B * f.F);
          grow(L.arg, B * f.F);
          bk_.maxPool(B, f.T, f.F, lengths(), f.x, L.out.get(), L.arg.get());
          f = Flow{L.out.get(), f.T, f.F, false};
          break;
        }
        case LayerKind::Dropout: {
          L.active = training && s.rate > 0;
          if (!L.active) break;
          const int64_t n = L.N * f.F;
          grow(L.out, n);
          dropoutMap(b, L, s.rate, f.x, L.out.get());
          f.x = L.out.get();
          break;
        }
        case LayerKind::Dense: {
          const int64_t N = B, I = s.in, U = s.units;
          grow(L.z, N * U);
          bk_.gemm(false, true, N, U, I, f.x, I, W(j), I, L.z.get(), U);
          if (s.useBias) bk_.biasAdd(N, U, W(j + 1), L.z.get());
          const float* y = L.z.get();
          if (s.act != Act::Linear) {
            grow(L.out, N * U);
            if (s.act == Act::Softmax) bk_.softmax(N, U, L.z.get(), L.out.get());
            else bk_.act(static_cast<Activation>(s.act), N * U, L.z.get(), L.out.get());
            y = L.out.get();
          }
          f = Flow{y, 1, U, false};
          break;
        }
      }
    }
    return f.x;
  }

  // Dropout's forward and backward are the same map under the saved seed and stream; sequences
  // with lengths draw per valid step (dropout.ts).
  void dropoutMap(const Batch& b, const Layer& L, double rate, const float* x, float* y) {
    if (L.seq && hasLengths_) bk_.dropoutSeq(b.B, L.T, L.F, lengths(), rate, b.seed, L.stream, x, y);
    else bk_.dropout(L.N * L.F, rate, b.seed, L.stream, x, y);
  }

  // Whether layer i is an Embedding that Sequential folds into the recurrent layer after it.
  bool folded(size_t i) const {
    const auto& ls = spec_.layers;
    return ls[i].kind == LayerKind::Embedding && i + 1 < ls.size() &&
           (ls[i + 1].kind == LayerKind::Lstm || ls[i + 1].kind == LayerKind::Rnn);
  }

  static int64_t gates(const LayerSpec& r) { return (r.kind == LayerKind::Lstm ? 4 : 1) * r.units; }

  // The loss of the batch (downloaded: the one scalar a step brings back); grad (or null) gets its
  // gradient w.r.t. the predictions (the last Dense's logits when onLogits).
  double lossOf(const Batch& b, const float* y, float* grad) {
    const Layer& last = layers_.back();
    const float* pred = spec_.onLogits ? last.z.get() : y;
    const lossk::Rows r{spec_.loss, b.B, outputWidth(spec_), pred,
                        b.labels != nullptr ? nullptr : targets_.get(), b.labels != nullptr ? labels_.get() : nullptr,
                        hasWeights_ ? weights_.get() : nullptr, grad, weighted_.get()};
    bk_.loss(r, lossOut_.get());
    double v = 0;
    bk_.down(&v, lossOut_.get(), 1);
    return v;
  }

  void backward(const Batch& b) {
    const int64_t B = b.B;
    const float* d = dLoss_.get();
    for (size_t i = spec_.layers.size(); i-- > 0 && d != nullptr;) {
      const LayerSpec& s = spec_.layers[i];
      Layer& L = layers_[i];
      const size_t j = firstWeight(i);
      // Sequential's needInputGrad: a layer before this one has weights.
      bool need = false;
      for (size_t k = 0; k < i; ++k) need = need || countWeights(spec_.layers[k]) > 0;
      switch (s.kind) {
        case LayerKind::Dense: {
          const int64_t N = B, I = s.in, U = s.units;
          const float* dZ = d;
          const bool fromLogits = i + 1 == spec_.layers.size() && spec_.onLogits;
          if (!fromLogits && s.act != Act::Linear) {
            grow(L.dTable, N * U);  // dZ's scratch
            if (s.act == Act::Softmax) bk_.softmaxBack(N, U, L.out.get(), d, L.dTable.get());
            else bk_.actBack(static_cast<Activation>(s.act), N * U, L.out.get(), d, L.dTable.get());
            dZ = L.dTable.get();
          }
          bk_.gemm(true, false, U, I, N, dZ, U, L.in, I, dW(j), I);
          if (s.useBias) bk_.biasGrad(N, U, dZ, dW(j + 1));
          d = nullptr;
          if (need) {
            grow(L.dIn, N * I);
            bk_.gemm(false, false, N, I, U, dZ, U, W(j), I, L.dIn.get(), I);
            d = L.dIn.get();
          }
          break;
        }
        case LayerKind::Dropout: {
          if (!need) d = nullptr;
          if (d == nullptr || !L.active) break;
          grow(L.dIn, L.N * L.F);
          dropoutMap(b, L, s.rate, d, L.dIn.get());
          d = L.dIn.get();
          break;
        }
        case LayerKind::MaxPool: {
          if (!need) {
            d = nullptr;
            break;
          }
          grow(L.dIn, B * L.T * L.F);
          bk_.zero(L.dIn.get(), B * L.T * L.F);
          bk_.maxPoolBack(B * L.F, L.arg.get(), d, L.dIn.get());
          d = L.dIn.get();
          break;
        }
        case LayerKind::Lstm:
        case LayerKind::Rnn: {
          const bool lstm = s.kind == LayerKind::Lstm;
          const RecurrentArgs& a = L.args;
          RecurrentGrads g;
          g.dY = s.returnSequences ? d : nullptr;
          g.dHlast = s.returnSequences ? nullptr : d;
          g.dWHh = dW(j + 1);
          if (a.tokens != nullptr) {
            grow(L.dTable, a.V * gates(s));
            g.dTable = L.dTable.get();
          } else {
            g.dWIh = dW(j);
            g.dBias = dW(j + 2);
            if (need) {
              grow(L.dIn, B * a.T * a.I);
              g.dX = L.dIn.get();
            }
          }
          bk_.recurrentBackward(lstm, a, b.tokens, b.lengths, L.cache.get(), g);
          d = g.dX;
          if (a.tokens != nullptr) unfold(i - 1, L.dTable.get());
          break;
        }
        case LayerKind::Embedding:
          // Folded: the recurrent layer's unfold wrote the gradient. Else the gather's backward
          // (every id of the batch, padded steps included, as embedding.ts).
          if (!folded(i)) bk_.scatter(s.in, s.units, B * L.T, tokens_.get(), d, dW(j));
          d = nullptr;
          break;
      }
    }
  }

  // The folded Embedding's gradients from the recurrent layer's dTable [V, G] (cpu/lstm.h's
  // unfoldGradient): dEmb = dTable · W_ih, dW_ih = dTableᵀ · emb, dBias = column sums of dTable.
  void unfold(size_t e, const float* dTable) {
    const LayerSpec& s = spec_.layers[e];
    const int64_t V = s.in, E = s.units, G = gates(spec_.layers[e + 1]);
    const size_t j = firstWeight(e);
    bk_.gemm(false, false, V, E, G, dTable, G, W(j + 1), E, dW(j), E);
    bk_.gemm(true, false, G, E, V, dTable, G, W(j), E, dW(j + 1), E);
    bk_.biasGrad(V, G, dTable, dW(j + 3));
  }

  // optimizers.ts's apply: clipping (into the gradients: the session keeps no caller's arrays to
  // leave untouched), then the rule over every parameter at once (each rule is element-wise, so
  // one pass over the concatenation is the per-tensor passes).
  void update(int64_t t, float lr) {
    const OptSpec& o = spec_.opt;
    if (o.clip != Clip::None) bk_.clip(clipModeOf(o.clip), o.clipValue, sizes_, grads_.get());
    float* p = params_.get();
    const float* g = grads_.get();
    switch (o.kind) {
      case OptKind::Sgd: bk_.sgd(total_, lr, o.momentum, o.nesterov, p, g, s1_.get()); break;
      case OptKind::Adam: bk_.adam(total_, t, lr, o.beta1, o.beta2, o.eps, p, g, s1_.get(), s2_.get(), s3_.get()); break;
      case OptKind::Rmsprop:
        bk_.rmsprop(total_, lr, o.rho, o.momentum, o.eps, p, g, s1_.get(), s2_.get(), s3_.get());
        break;
      case OptKind::Nadam: bk_.nadam(total_, t, lr, o.beta1, o.beta2, o.eps, p, g, s1_.get(), s2_.get()); break;
    }
  }

  Spec spec_;
  Bk bk_;
  std::vector<Layer> layers_;
  std::vector<int64_t> sizes_, offs_;
  int64_t total_ = 0;
  Buf<float> params_, grads_, s1_, s2_, s3_, x_, targets_, weights_, dLoss_;
  Buf<int32_t> tokens_, lengths_, labels_;
  Buf<double> weighted_, lossOut_;
  bool hasLengths_ = false, hasWeights_ = false;
};

}  // namespace session
}  // namespace cuda
}  // namespace vigil
