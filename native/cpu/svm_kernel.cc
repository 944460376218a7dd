#include "cpu/svm_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/threadpool.h"

namespace vigil {

PanelRows::PanelRows(const float* x, int64_t n, int64_t d)
    : n_(n), d_(d), data_(static_cast<size_t>((n + kSvmPanel - 1) / kSvmPanel * kSvmPanel * d), 0.0f),
      sq_(static_cast<size_t>((n + kSvmPanel - 1) / kSvmPanel * kSvmPanel), 0.0) {
  for (int64_t i = 0; i < n; ++i) {
    float* dst = data_.data() + (i / kSvmPanel) * d * kSvmPanel + i % kSvmPanel;
    for (int64_t k = 0; k < d; ++k) dst[k * kSvmPanel] = x[i * d + k];
    sq_[i] = svmDot(x + i * d, x + i * d, d);
  }
}

double svmDot(const float* a, const float* b, int64_t d) {
  double s = 0;
  for (int64_t c = 0; c < d; ++c) s += static_cast<double>(a[c]) * static_cast<double>(b[c]);
  return s;
}

void PanelRows::copyRow(int64_t i, float* out) const {
  const float* src = data_.data() + (i / kSvmPanel) * d_ * kSvmPanel + i % kSvmPanel;
  for (int64_t k = 0; k < d_; ++k) out[k] = src[k * kSvmPanel];
}

void PanelRows::swapRows(int64_t i, int64_t j) {
  if (i == j) return;
  float* a = data_.data() + (i / kSvmPanel) * d_ * kSvmPanel + i % kSvmPanel;
  float* b = data_.data() + (j / kSvmPanel) * d_ * kSvmPanel + j % kSvmPanel;
  for (int64_t k = 0; k < d_; ++k) std::swap(a[k * kSvmPanel], b[k * kSvmPanel]);
  std::swap(sq_[i], sq_[j]);
}

RowArena::RowArena(int64_t floats) {
#if defined(__linux__)
  constexpr int64_t kHuge = int64_t(1) << 21;
  const int64_t bytes = (round(floats) * static_cast<int64_t>(sizeof(float)) + kHuge - 1) / kHuge * kHuge;
  // Reserved, not committed: pages are backed as they are first touched.
  void* p = bytes > 0 ? mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                      : MAP_FAILED;
  if (p == MAP_FAILED) return;  // every row then lives on the heap
  madvise(p, static_cast<size_t>(bytes), MADV_HUGEPAGE);
  base_ = static_cast<float*>(p);
  size_ = bytes / static_cast<int64_t>(sizeof(float));
  free_[0] = size_;
#else
  (void)floats;
#endif
}

RowArena::~RowArena() {
#if defined(__linux__)
  if (base_) munmap(base_, static_cast<size_t>(size_) * sizeof(float));
#endif
}

float* RowArena::alloc(int64_t n) {
  n = round(n);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < n) continue;
    const int64_t at = it->first, len = it->second;
    free_.erase(it);
    if (len > n) free_[at + n] = len - n;
    return base_ + at;
  }
  return nullptr;
}

bool RowArena::grow(float* p, int64_t n, int64_t m) {
  n = round(n);
  m = round(m);
  if (m <= n) return true;
  auto it = free_.find(p - base_ + n);
  if (it == free_.end() || it->second < m - n) return false;
  const int64_t at = it->first, len = it->second;
  free_.erase(it);
  if (len > m - n) free_[at + (m - n)] = len - (m - n);
  return true;
}

void RowArena::release(float* p, int64_t n) {
  int64_t at = p - base_, len = round(n);
  auto next = free_.lower_bound(at);
  if (next != free_.end() && next->first == at + len) {
    len += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == at) {
      prev->second += len;
      return;
    }
  }
  free_[at] = len;
}

KernelRowCache::KernelRowCache(int64_t l, double megabytes)
    : rows_(static_cast<size_t>(l)), prev_(l + 1), next_(l + 1), l_(l),
      budget_(static_cast<int64_t>(std::max(megabytes * 1048576.0 / sizeof(float) -
                                                static_cast<double>(l) * sizeof(Row) / sizeof(float),
                                            2.0 * static_cast<double>(l)))),
      // No row is longer than l, so more than l * l floats would never be touched.
      arena_(std::min<int64_t>(budget_ + 16 * l, l > (int64_t(1) << 31) ? budget_ : l * l + 16 * l)) {
  prev_[l] = next_[l] = l;
}

KernelRowCache::~KernelRowCache() {
  for (Row& r : rows_)
    if (r.cap == 0) std::free(r.data);
}

float* KernelRowCache::get(int64_t i, int64_t len, int64_t* fill) {
  if (!pending_.empty()) flushSwaps();
  Row& r = rows_[i];
  if (r.len > 0) unlink(i);
  const int64_t more = len - r.len;
  if (more > 0) {
    while (budget_ < more) {
      if (!evictOldest()) throw std::logic_error("kernel cache: nothing left to evict");
    }
    resize(r, len);
    budget_ -= more;
    *fill = r.len;
    r.len = len;
  } else {
    *fill = len;
  }
  link(i);
  return r.data;
}

void KernelRowCache::resize(Row& r, int64_t len) {
  if (r.cap > 0 && arena_.grow(r.data, r.cap, len)) {
    r.cap = len;
    return;
  }
  float* p = arena_.alloc(len);
  // The budget allows the row, but the arena may hold it only in pieces: older rows make way,
  // all but the most recent (the caller may still be holding it).
  while (!p && next_[l_] != prev_[l_] && evictOldest()) p = arena_.alloc(len);
  int64_t cap = len;
  if (!p) {
    p = static_cast<float*>(std::malloc(sizeof(float) * static_cast<size_t>(len)));
    if (!p) throw std::bad_alloc();
    cap = 0;
  }
  if (r.len > 0) std::copy(r.data, r.data + r.len, p);
  if (r.cap > 0) {
    arena_.release(r.data, r.cap);
  } else {
    std::free(r.data);
  }
  r.data = p;
  r.cap = cap;
}

void KernelRowCache::swapIndex(int64_t i, int64_t j) {
  if (i == j) return;
  if (rows_[i].len > 0) unlink(i);
  if (rows_[j].len > 0) unlink(j);
  std::swap(rows_[i], rows_[j]);
  if (rows_[i].len > 0) link(i);
  if (rows_[j].len > 0) link(j);
  pending_.emplace_back(std::min(i, j), std::max(i, j));
}

// Applies the recorded swaps to every cached row, each row taking them in order: the same rows,
// values and drops as applying each swap to all rows as it happens (a row's length does not
// change in between), but every row is walked once while it is hot in the cache.
void KernelRowCache::flushSwaps() {
  for (int64_t h = next_[l_]; h != l_;) {
    const int64_t after = next_[h];
    Row& r = rows_[h];
    for (const auto& [i, j] : pending_) {
      if (r.len <= i) continue;
      if (r.len <= j) {
        unlink(h);
        drop(h);
        break;
      }
      std::swap(r.data[i], r.data[j]);
    }
    h = after;
  }
  pending_.clear();
}

void KernelRowCache::unlink(int64_t h) {
  next_[prev_[h]] = next_[h];
  prev_[next_[h]] = prev_[h];
}

void KernelRowCache::link(int64_t h) {
  next_[h] = l_;
  prev_[h] = prev_[l_];
  next_[prev_[h]] = h;
  prev_[l_] = h;
}

void KernelRowCache::drop(int64_t h) {
  Row& r = rows_[h];
  budget_ += r.len;
  if (r.cap > 0) {
    arena_.release(r.data, r.cap);
  } else {
    std::free(r.data);
  }
  r = Row{};
}

bool KernelRowCache::evictOldest() {
  const int64_t h = next_[l_];
  if (h == l_) return false;
  unlink(h);
  drop(h);
  return true;
}

namespace {

// base^times by squaring, libsvm's powi (the same multiplications in the same order).
template <typename T>
T powi(T base, int times) {
  T tmp = base, ret = 1;
  for (int t = times; t > 0; t /= 2) {
    if (t % 2 == 1) ret *= tmp;
    tmp = tmp * tmp;
  }
  return ret;
}

// The kernel's value from the reduction v (a.b, or |a - b|^2 for rbf), in T's precision.
template <typename T>
inline T finish(const SvmKernel& k, T v) {
  const T gamma = static_cast<T>(k.gamma), coef0 = static_cast<T>(k.coef0);
  switch (k.type) {
    case SvmKernelType::Linear:
      return v;
    case SvmKernelType::Poly:
      return powi(gamma * v + coef0, k.degree);
    case SvmKernelType::Rbf:
      return std::exp(-gamma * v);
    case SvmKernelType::Sigmoid:
      return std::tanh(gamma * v + coef0);
  }
  return v;
}

// Kernel rows in double, rounded to float, as libsvm's (see svmKernelRow).
void kernelRowGeneric(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end,
                      float* out) {
  const int64_t d = rows.cols();
  const bool rbf = k.type == SvmKernelType::Rbf;
  const double xsq = rbf ? svmDot(x, x, d) : 0.0;
  for (int64_t p = begin / kSvmPanel; p * kSvmPanel < end; ++p) {
    const float* P = rows.panel(p);
    const double* sq = rows.norms(p);
    double acc[kSvmPanel] = {};
    for (int64_t c = 0; c < d; ++c) {
      const double xc = x[c];
      const float* col = P + c * kSvmPanel;
      for (int64_t l = 0; l < kSvmPanel; ++l) acc[l] += static_cast<double>(col[l]) * xc;
    }
    const int64_t lo = std::max(begin, p * kSvmPanel), hi = std::min(end, (p + 1) * kSvmPanel);
    for (int64_t j = lo; j < hi; ++j) {
      const int64_t l = j - p * kSvmPanel;
      const double v = rbf ? xsq + sq[l] - 2 * acc[l] : acc[l];
      out[j - begin] = static_cast<float>(finish(k, v));
    }
  }
}

void accumulateGeneric(const SvmKernel& k, int64_t R, int64_t S, const float* C, int64_t ldc, const float* xn,
                       const float* svn, const float* coef, float* acc) {
  for (int64_t r = 0; r < R; ++r) {
    const float* c = C + r * ldc;
    float* a = acc + r * kSvmPanel;
    for (int64_t g = 0; g < S; g += kSvmPanel) {
      for (int64_t l = 0; l < kSvmPanel; ++l) {
        const int64_t j = g + l;
        float v = c[j];
        if (k.type == SvmKernelType::Rbf) v = std::max(xn[r] + svn[j] - 2.0f * v, 0.0f);
        a[l] += coef[j] * finish(k, v);
      }
    }
  }
}

svm_detail::KernelRowFn kernelRowFn() {
#if defined(VIGIL_X86)
  if (useAvx512()) return svm_detail::kernelRowAvx512;
  if (useAvx2()) return svm_detail::kernelRowAvx2;
#endif
  return kernelRowGeneric;
}

svm_detail::AccumulateFn accumulateFn() {
#if defined(VIGIL_X86)
  if (useAvx512()) return svm_detail::accumulateAvx512;
  if (useAvx2()) return svm_detail::accumulateAvx2;
#endif
  return accumulateGeneric;
}

// Lanes summed pairwise in a fixed tree, the same for every row.
double laneSum(const float* a) {
  float t[kSvmPanel];
  std::memcpy(t, a, sizeof t);
  for (int64_t w = kSvmPanel / 2; w > 0; w /= 2)
    for (int64_t l = 0; l < w; ++l) t[l] += t[l + w];
  return t[0];
}

// Rows scored together, and support vectors per packed chunk: 42 rows are whole register tiles
// of both the AVX-512 (14) and AVX2 (6) GEMM kernels; a chunk of packed support vectors stays
// within about 256 KiB so it and the 42-row block of products sit in L2.
constexpr int64_t kRowBlock = 42;
int64_t svChunk(int64_t d) { return std::clamp<int64_t>((int64_t(1) << 16) / d / 64 * 64, 64, 2048); }

// Exponent error of the expanded |x - sv|^2 past which a row takes the direct route: float
// rounding leaves about 2^-20 (|x|^2 + |sv|^2) in the expansion.
constexpr double kMaxExpansionError = 1e-5;

}  // namespace

void svmKernelRow(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end, float* out) {
  if (begin >= end) return;
  kernelRowFn()(k, x, rows, begin, end, out);
}

double svmKernelDouble(const SvmKernel& k, const float* a, const float* b, int64_t d) {
  const double dot = svmDot(a, b, d);
  switch (k.type) {
    case SvmKernelType::Linear:
      return dot;
    case SvmKernelType::Poly:
      return powi(k.gamma * dot + k.coef0, k.degree);
    case SvmKernelType::Rbf:
      return std::exp(-k.gamma * (svmDot(a, a, d) + svmDot(b, b, d) - 2 * dot));
    case SvmKernelType::Sigmoid:
      return std::tanh(k.gamma * dot + k.coef0);
  }
  return dot;
}

void svmDecision(const SvmKernel& k, int64_t m, int64_t d, int64_t nSV, const float* x, const float* sv,
                 const float* coef, double rho, float* out) {
  if (m <= 0) return;
  if (k.type == SvmKernelType::Linear) {
    // Σ_j coef_j (sv_j . x) = w . x with w = Σ_j coef_j sv_j: the primal form, in double, is
    // exact where float sums of the terms would cancel (they have both signs), and O(d) a row.
    std::vector<double> w(static_cast<size_t>(d), 0.0);
    for (int64_t j = 0; j < nSV; ++j)
      for (int64_t c = 0; c < d; ++c) w[c] += static_cast<double>(coef[j]) * sv[j * d + c];
    parallelFor(m, 1024, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        double s = 0;
        for (int64_t c = 0; c < d; ++c) s += w[c] * x[r * d + c];
        out[r] = static_cast<float>(s - rho);
      }
    });
    return;
  }
  const bool rbf = k.type == SvmKernelType::Rbf;
  const int64_t S = svChunk(d);
  const int64_t nChunks = (nSV + S - 1) / S;

  // rbf works on data centred at the support vectors' mean: distances are unchanged and the
  // norms in the expansion, and so its rounding, shrink.
  std::vector<float> centre(static_cast<size_t>(d), 0.0f);
  std::vector<float> svc(sv, sv + nSV * d);
  std::vector<float> svn(static_cast<size_t>(nChunks * S), 0.0f);
  std::vector<float> coefPad(static_cast<size_t>(nChunks * S), 0.0f);
  std::copy(coef, coef + nSV, coefPad.begin());
  double svnMax = 0;
  if (rbf) {
    for (int64_t c = 0; c < d; ++c) {
      double s = 0;
      for (int64_t j = 0; j < nSV; ++j) s += sv[j * d + c];
      centre[c] = static_cast<float>(s / static_cast<double>(nSV));
    }
    for (int64_t j = 0; j < nSV; ++j) {
      float n2 = 0;
      for (int64_t c = 0; c < d; ++c) {
        svc[j * d + c] -= centre[c];
        n2 += svc[j * d + c] * svc[j * d + c];
      }
      svn[j] = n2;
      svnMax = std::max(svnMax, static_cast<double>(n2));
    }
  }
  std::vector<PackedB> packed;
  packed.reserve(static_cast<size_t>(nChunks));
  for (int64_t q = 0; q < nChunks; ++q) {
    packed.push_back(packB(true, d, std::min(S, nSV - q * S), svc.data() + q * S * d, d));
  }
  // The direct route's support vectors, built only if some row needs it.
  std::unique_ptr<PanelRows> svPanels;
  auto unsafe = [&](double xn) { return rbf && k.gamma * (xn + svnMax) * std::ldexp(1.0, -20) > kMaxExpansionError; };
  if (rbf) {
    for (int64_t r = 0; r < m && !svPanels; ++r) {
      float n2 = 0;
      for (int64_t c = 0; c < d; ++c) {
        const float v = x[r * d + c] - centre[c];
        n2 += v * v;
      }
      if (unsafe(n2)) svPanels = std::make_unique<PanelRows>(svc.data(), nSV, d);
    }
  }

  const svm_detail::AccumulateFn accumulate = accumulateFn();
  const svm_detail::KernelRowFn kernelRow = kernelRowFn();
  const float* svnp = svn.data();
  const float* cp = coefPad.data();
  parallelFor(m, kRowBlock, [&](int64_t begin, int64_t end) {
    std::vector<float> xc(static_cast<size_t>(kRowBlock * d)), xn(kRowBlock, 0.0f);
    std::vector<float> C(static_cast<size_t>(kRowBlock * S), 0.0f), acc(kRowBlock * kSvmPanel);
    std::vector<float> direct;
    std::vector<char> slow(kRowBlock);
    for (int64_t r0 = begin; r0 < end; r0 += kRowBlock) {
      const int64_t R = std::min(kRowBlock, end - r0);
      for (int64_t r = 0; r < R; ++r) {
        float n2 = 0;
        for (int64_t c = 0; c < d; ++c) {
          const float v = x[(r0 + r) * d + c] - (rbf ? centre[c] : 0.0f);
          xc[r * d + c] = v;
          n2 += v * v;
        }
        xn[r] = n2;
        slow[r] = unsafe(n2);
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      const bool anyFast = std::find(slow.begin(), slow.begin() + R, 0) != slow.begin() + R;
      for (int64_t q = 0; anyFast && q < nChunks; ++q) {
        const int64_t n = std::min(S, nSV - q * S);
        const int64_t Sp = (n + kSvmPanel - 1) / kSvmPanel * kSvmPanel;
        // Columns [n, Sp) of C are never written by the product: they stay 0 and meet zero coefficients.
        sgemmPacked(false, R, 1.0f, xc.data(), d, packed[q], 0.0f, C.data(), S);
        accumulate(k, R, Sp, C.data(), S, xn.data(), svnp + q * S, cp + q * S, acc.data());
      }
      for (int64_t r = 0; r < R; ++r) {
        if (slow[r]) {
          direct.resize(static_cast<size_t>(nSV));
          kernelRow(k, xc.data() + r * d, *svPanels, 0, nSV, direct.data());
          float* a = acc.data() + r * kSvmPanel;
          std::fill(a, a + kSvmPanel, 0.0f);
          for (int64_t j = 0; j < nSV; ++j) a[j % kSvmPanel] += coef[j] * direct[j];
        }
        out[r0 + r] = static_cast<float>(laneSum(acc.data() + r * kSvmPanel) - rho);
      }
    }
  });
}

}  // namespace vigil
