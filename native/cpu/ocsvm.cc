// The SMO solver behind ocsvmFit. It keeps libsvm's semantics step for step (working-set choice
// and tie-breaking, the update clipping, the shrinking schedule and the order variables are
// swapped in), so that it walks the same path as scikit-learn's OneClassSVM; where it departs,
// it is only in how fast kernel values are produced:
// - kernel rows are float32 SIMD (libsvm evaluates in double and stores float);
// - the starting gradient and every gradient rebuild are blocked kernel-matrix products over
//   all threads, summing each element in libsvm's order, instead of one cached row at a time.
// Everything in the per-iteration path sums in a fixed order and the threads only ever split
// independent elements, so the result is bitwise the same for any thread count.
#include "cpu/ocsvm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/threadpool.h"

namespace vigil {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTau = 1e-12;  // libsvm's stand-in for a non-positive curvature

bool abortRequested(const int32_t* ctrl) { return ctrl && __atomic_load_n(ctrl, __ATOMIC_RELAXED) != 0; }

void reportIterations(int32_t* ctrl, int64_t iter) {
  if (ctrl) __atomic_store_n(ctrl + 1, static_cast<int32_t>(std::min<int64_t>(iter, INT32_MAX)), __ATOMIC_RELAXED);
}

// Q of the one-class dual (Q_ij = K(x_i, x_j)) over the solver's current variable order.
class OneClassQ {
 public:
  OneClassQ(int64_t n, int64_t d, const float* x, const SvmKernel& k, double cacheMB)
      : rows_(x, n, d), k_(k), cache_(n, cacheMB), qd_(static_cast<size_t>(n)), xi_(static_cast<size_t>(d)), d_(d) {
    for (int64_t i = 0; i < n; ++i) qd_[i] = svmKernelDouble(k, x + i * d, x + i * d, d);
  }

  const double* diagonal() const { return qd_.data(); }

  // K(i, 0..len), from the cache or computed into it.
  const float* row(int64_t i, int64_t len) {
    int64_t fill;
    float* data = cache_.get(i, len, &fill);
    if (fill < len) {
      rows_.copyRow(i, xi_.data());
      const float* xi = xi_.data();
      // Elements are independent: split over threads once each share is worth a wake-up (about
      // 2^18 multiply-adds, tens of microseconds; below that a second thread costs more than it
      // saves, the more so on a machine whose other cores are busy).
      parallelFor(len - fill, std::max<int64_t>(1024, (int64_t(1) << 18) / d_), [&](int64_t b, int64_t e) {
        svmKernelRow(k_, xi, rows_, fill + b, fill + e, data + fill + b);
      });
    }
    return data;
  }

  void swapIndex(int64_t i, int64_t j) {
    cache_.swapIndex(i, j);
    rows_.swapRows(i, j);
    std::swap(qd_[i], qd_[j]);
  }

  // out1[c] += Σ_r w1[r] K(idx[r], c) for c in [c0, c1), r in order (and out2 with w2 where
  // w2[r] != 0), without the cache: kernel-matrix blocks computed once and folded in, with the
  // columns split over threads and each block of them kept in L2 while every row passes.
  // Returns false when ctrl asked to stop.
  bool product(const std::vector<int64_t>& idx, const std::vector<double>& w1, const std::vector<double>* w2,
               int64_t c0, int64_t c1, double* out1, double* out2, const int32_t* ctrl) {
    const int64_t R = static_cast<int64_t>(idx.size());
    if (R == 0 || c0 >= c1) return !abortRequested(ctrl);
    std::vector<float> xr(static_cast<size_t>(R * d_));
    for (int64_t r = 0; r < R; ++r) rows_.copyRow(idx[r], xr.data() + r * d_);
    const int64_t block = std::clamp<int64_t>((int64_t(1) << 16) / d_ / kSvmPanel * kSvmPanel, 256, 4096);
    bool stopped = false;
    parallelFor(c1 - c0, 256, [&](int64_t b, int64_t e) {
      std::vector<float> buf(static_cast<size_t>(block));
      for (int64_t s = c0 + b; s < c0 + e; s += block) {
        if (abortRequested(ctrl)) return;
        const int64_t t = std::min(s + block, c0 + e);
        for (int64_t r = 0; r < R; ++r) {
          svmKernelRow(k_, xr.data() + r * d_, rows_, s, t, buf.data());
          const double a = w1[r];
          for (int64_t c = s; c < t; ++c) out1[c] += a * buf[c - s];
          if (w2 && (*w2)[r] != 0) {
            const double g = (*w2)[r];
            for (int64_t c = s; c < t; ++c) out2[c] += g * buf[c - s];
          }
        }
      }
    });
    stopped = abortRequested(ctrl);
    return !stopped;
  }

 private:
  PanelRows rows_;
  SvmKernel k_;
  KernelRowCache cache_;
  std::vector<double> qd_;
  std::vector<float> xi_;
  int64_t d_;
};

enum Bound : char { kLower = 0, kUpper = 1, kFree = 2 };

// libsvm's Solver for the one-class problem: every y_i = +1, p = 0 and every upper bound 1.
class Solver {
 public:
  Solver(OneClassQ& Q, int64_t l, const OcsvmOptions& o, int32_t* ctrl)
      : Q_(Q), QD_(Q.diagonal()), l_(l), eps_(o.tol), shrinking_(o.shrinking), maxIter_(o.maxIter), ctrl_(ctrl) {}

  OcsvmResult solve(double* alphaOut) {
    OcsvmResult res;
    alpha_.assign(alphaOut, alphaOut + l_);
    status_.resize(static_cast<size_t>(l_));
    for (int64_t i = 0; i < l_; ++i) updateStatus(i);
    active_.resize(static_cast<size_t>(l_));
    for (int64_t i = 0; i < l_; ++i) active_[i] = i;
    activeSize_ = l_;

    G_.assign(static_cast<size_t>(l_), 0.0);
    Gbar_.assign(static_cast<size_t>(l_), 0.0);
    {
      std::vector<int64_t> idx;
      std::vector<double> w1, w2;
      for (int64_t i = 0; i < l_; ++i) {
        if (status_[i] == kLower) continue;
        idx.push_back(i);
        w1.push_back(alpha_[i]);
        w2.push_back(status_[i] == kUpper ? kC : 0.0);
      }
      if (!Q_.product(idx, w1, &w2, 0, l_, G_.data(), Gbar_.data(), ctrl_)) return aborted(res, 0);
    }

    int64_t iter = 0;
    int64_t counter = std::min<int64_t>(l_, 1000) + 1;
    for (;;) {
      if (maxIter_ >= 0 && iter >= maxIter_) {
        res.status = OcsvmStatus::MaxIter;
        break;
      }
      if (--counter == 0) {
        counter = std::min<int64_t>(l_, 1000);
        if (shrinking_ && !doShrinking()) return aborted(res, iter);
        reportIterations(ctrl_, iter);
        if (abortRequested(ctrl_)) return aborted(res, iter);
      }
      int64_t i, j;
      if (!selectWorkingSet(&i, &j)) {
        if (!reconstructGradient()) return aborted(res, iter);
        activeSize_ = l_;
        if (!selectWorkingSet(&i, &j)) break;
        counter = 1;  // shrink again at the next iteration
      }
      ++iter;
      update(i, j);
    }
    // A stop at maxIter can leave variables shrunk: bring their gradients back so ρ and the
    // objective see every variable (upstream libsvm's rule; scikit-learn's copy skips this).
    if (activeSize_ < l_) {
      if (!reconstructGradient()) return aborted(res, iter);
      activeSize_ = l_;
    }
    res.rho = calculateRho();
    double v = 0;
    for (int64_t i = 0; i < l_; ++i) v += alpha_[i] * G_[i];
    res.objective = v / 2;
    res.iterations = iter;
    reportIterations(ctrl_, iter);
    for (int64_t i = 0; i < l_; ++i) alphaOut[active_[i]] = alpha_[i];
    return res;
  }

 private:
  static constexpr double kC = 1.0;

  OcsvmResult& aborted(OcsvmResult& res, int64_t iter) {
    res.status = OcsvmStatus::Aborted;
    res.iterations = iter;
    return res;
  }

  void updateStatus(int64_t i) {
    status_[i] = alpha_[i] >= kC ? kUpper : alpha_[i] <= 0 ? kLower : kFree;
  }

  // One SMO step on the pair (i, j), both y = +1: the two-variable subproblem solved exactly and
  // clipped to the box along α_i + α_j = const, then the gradient and G_bar follow.
  void update(int64_t i, int64_t j) {
    const int64_t n = activeSize_;
    const float* Qi = Q_.row(i, n);
    const float* Qj = Q_.row(j, n);
    const double oldI = alpha_[i], oldJ = alpha_[j];
    double quad = QD_[i] + QD_[j] - 2 * Qi[j];
    if (quad <= 0) quad = kTau;
    const double delta = (G_[i] - G_[j]) / quad;
    const double sum = alpha_[i] + alpha_[j];
    alpha_[i] -= delta;
    alpha_[j] += delta;
    if (sum > kC) {
      if (alpha_[i] > kC) {
        alpha_[i] = kC;
        alpha_[j] = sum - kC;
      }
    } else if (alpha_[j] < 0) {
      alpha_[j] = 0;
      alpha_[i] = sum;
    }
    if (sum > kC) {
      if (alpha_[j] > kC) {
        alpha_[j] = kC;
        alpha_[i] = sum - kC;
      }
    } else if (alpha_[i] < 0) {
      alpha_[i] = 0;
      alpha_[j] = sum;
    }
    const double dI = alpha_[i] - oldI, dJ = alpha_[j] - oldJ;
    double* G = G_.data();
    for (int64_t k = 0; k < n; ++k) G[k] += Qi[k] * dI + Qj[k] * dJ;

    const bool wasUpperI = status_[i] == kUpper, wasUpperJ = status_[j] == kUpper;
    updateStatus(i);
    updateStatus(j);
    if (wasUpperI != (status_[i] == kUpper)) shiftGbar(i, wasUpperI);
    if (wasUpperJ != (status_[j] == kUpper)) shiftGbar(j, wasUpperJ);
  }

  // G_bar = Σ over variables at the upper bound of C Q_i: variable i left (or joined) that set.
  void shiftGbar(int64_t i, bool left) {
    const float* Qi = Q_.row(i, l_);
    double* Gb = Gbar_.data();
    if (left) {
      for (int64_t k = 0; k < l_; ++k) Gb[k] -= kC * Qi[k];
    } else {
      for (int64_t k = 0; k < l_; ++k) Gb[k] += kC * Qi[k];
    }
  }

  // WSS2: i maximises -G over the variables that may grow, j gives the largest second-order
  // decrease among those that may shrink. Ties go to the later index, as in libsvm. False when
  // the maximal violation is below tol (optimal).
  bool selectWorkingSet(int64_t* outI, int64_t* outJ) {
    const int64_t n = activeSize_;
    const double* G = G_.data();
    const char* st = status_.data();
    double gmax = -kInf, gmax2 = -kInf, objMin = kInf;
    int64_t iBest = -1, jBest = -1;
    for (int64_t t = 0; t < n; ++t) {
      if (st[t] != kUpper && -G[t] >= gmax) {
        gmax = -G[t];
        iBest = t;
      }
    }
    const float* Qi = iBest != -1 ? Q_.row(iBest, n) : nullptr;
    for (int64_t j = 0; j < n; ++j) {
      if (st[j] == kLower) continue;
      const double gradDiff = gmax + G[j];
      if (G[j] >= gmax2) gmax2 = G[j];
      if (gradDiff > 0) {
        const double quad = QD_[iBest] + QD_[j] - 2.0 * Qi[j];
        const double objDiff = -(gradDiff * gradDiff) / (quad > 0 ? quad : kTau);
        if (objDiff <= objMin) {
          jBest = j;
          objMin = objDiff;
        }
      }
    }
    if (gmax + gmax2 < eps_ || jBest == -1) return false;
    *outI = iBest;
    *outJ = jBest;
    return true;
  }

  bool beShrunk(int64_t i, double gmax1, double gmax2) const {
    if (status_[i] == kUpper) return -G_[i] > gmax1;
    if (status_[i] == kLower) return G_[i] > gmax2;
    return false;
  }

  // Moves variables that sit at a bound and cannot be part of a violating pair to the end of
  // the order, out of the active set; close to the end (violation <= 10 tol), once, every
  // variable comes back with its gradient rebuilt. False when aborted meanwhile.
  bool doShrinking() {
    double gmax1 = -kInf, gmax2 = -kInf;
    for (int64_t i = 0; i < activeSize_; ++i) {
      if (status_[i] != kUpper && -G_[i] >= gmax1) gmax1 = -G_[i];
      if (status_[i] != kLower && G_[i] >= gmax2) gmax2 = G_[i];
    }
    if (!unshrink_ && gmax1 + gmax2 <= eps_ * 10) {
      unshrink_ = true;
      if (!reconstructGradient()) return false;
      activeSize_ = l_;
    }
    for (int64_t i = 0; i < activeSize_; ++i) {
      if (!beShrunk(i, gmax1, gmax2)) continue;
      --activeSize_;
      while (activeSize_ > i) {
        if (!beShrunk(activeSize_, gmax1, gmax2)) {
          swapIndex(i, activeSize_);
          break;
        }
        --activeSize_;
      }
    }
    return true;
  }

  void swapIndex(int64_t i, int64_t j) {
    Q_.swapIndex(i, j);
    std::swap(G_[i], G_[j]);
    std::swap(status_[i], status_[j]);
    std::swap(alpha_[i], alpha_[j]);
    std::swap(active_[i], active_[j]);
    std::swap(Gbar_[i], Gbar_[j]);
  }

  // Gradients of the shrunk variables from G_bar plus the free variables' contributions (each
  // element summed over the free variables in order, as either of libsvm's two loops does).
  bool reconstructGradient() {
    if (activeSize_ == l_) return true;
    for (int64_t j = activeSize_; j < l_; ++j) G_[j] = Gbar_[j];
    std::vector<int64_t> idx;
    std::vector<double> w;
    for (int64_t i = 0; i < activeSize_; ++i) {
      if (status_[i] == kFree) {
        idx.push_back(i);
        w.push_back(alpha_[i]);
      }
    }
    return Q_.product(idx, w, nullptr, activeSize_, l_, G_.data(), nullptr, ctrl_);
  }

  // ρ: the mean gradient of the free variables, else the middle of the bounds' gap.
  double calculateRho() const {
    double ub = kInf, lb = -kInf, sumFree = 0;
    int64_t nFree = 0;
    for (int64_t i = 0; i < activeSize_; ++i) {
      if (status_[i] == kUpper) {
        lb = std::max(lb, G_[i]);
      } else if (status_[i] == kLower) {
        ub = std::min(ub, G_[i]);
      } else {
        ++nFree;
        sumFree += G_[i];
      }
    }
    return nFree > 0 ? sumFree / static_cast<double>(nFree) : (ub + lb) / 2;
  }

  OneClassQ& Q_;
  const double* QD_;
  int64_t l_;
  double eps_;
  bool shrinking_;
  int64_t maxIter_;
  int32_t* ctrl_;
  bool unshrink_ = false;
  int64_t activeSize_ = 0;
  std::vector<double> alpha_, G_, Gbar_;
  std::vector<char> status_;
  std::vector<int64_t> active_;
};

}  // namespace

OcsvmResult ocsvmFit(int64_t n, int64_t d, const float* x, const OcsvmOptions& o, double* alpha, int32_t* ctrl) {
  if (n < 1 || d < 1) throw std::invalid_argument("ocsvmFit: needs at least one row and one feature");
  if (!(o.nu > 0 && o.nu <= 1)) throw std::invalid_argument("ocsvmFit: nu must lie in (0, 1], got " + std::to_string(o.nu));
  if (!(o.tol > 0)) throw std::invalid_argument("ocsvmFit: tol must be > 0");
  if (!(o.cacheMB > 0)) throw std::invalid_argument("ocsvmFit: cacheMB must be > 0");
  if (o.maxIter < -1) throw std::invalid_argument("ocsvmFit: maxIter must be -1 (no limit) or >= 0");
  if (o.kernel.type != SvmKernelType::Linear && !(o.kernel.gamma > 0))
    throw std::invalid_argument("ocsvmFit: gamma must be > 0");
  if (o.kernel.degree < 0) throw std::invalid_argument("ocsvmFit: degree must be >= 0");

  // libsvm's start (scikit-learn's weighted form with unit weights): ν n accumulated row by row,
  // then handed out from the first row on, each taking at most its bound of 1.
  double nuL = 0;
  for (int64_t i = 0; i < n; ++i) nuL += 1.0 * o.nu;
  int64_t i = 0;
  for (; nuL > 0 && i < n; ++i) {
    alpha[i] = std::min(1.0, nuL);
    nuL -= alpha[i];
  }
  for (; i < n; ++i) alpha[i] = 0;

  OneClassQ Q(n, d, x, o.kernel, o.cacheMB);
  Solver s(Q, n, o, ctrl);
  return s.solve(alpha);
}

}  // namespace vigil
