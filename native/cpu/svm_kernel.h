// SVM kernels (libsvm's four: linear, poly, rbf, sigmoid) over float32 rows: kernel rows for the
// solver and the blocked decision function sum_j coef_j K(sv_j, x) - rho for scoring.
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace vigil {

enum class SvmKernelType : int { Linear = 0, Poly = 1, Rbf = 2, Sigmoid = 3 };

// K(a, b) = a.b | (gamma a.b + coef0)^degree | exp(-gamma |a - b|^2) | tanh(gamma a.b + coef0).
struct SvmKernel {
  SvmKernelType type = SvmKernelType::Rbf;
  double gamma = 1.0;
  int degree = 3;
  double coef0 = 0.0;
};

// Rows held in panels of kSvmPanel: panel p is rows [16p, 16p + 16) stored [d][16] (zero past the
// last row), so one kernel row streams contiguous memory with the 16 rows of a panel in the
// lanes of AVX-512 / AVX2 registers. Each row's squared norm (in double) rides along for rbf.
constexpr int64_t kSvmPanel = 16;

class PanelRows {
 public:
  PanelRows(const float* x, int64_t n, int64_t d);
  int64_t rows() const { return n_; }
  int64_t cols() const { return d_; }
  const float* panel(int64_t p) const { return data_.data() + p * d_ * kSvmPanel; }
  // |row|^2 of panel p's rows, [16] (0 past the last row).
  const double* norms(int64_t p) const { return sq_.data() + p * kSvmPanel; }
  // Row i, contiguous, into out[d].
  void copyRow(int64_t i, float* out) const;
  // Exchanges rows i and j (the solver's shrinking reorders its variables).
  void swapRows(int64_t i, int64_t j);

 private:
  int64_t n_, d_;
  std::vector<float> data_;
  std::vector<double> sq_;
};

// a.b in double, summed in feature order: float products are exact in double, so this is
// libsvm's dot to the bit whether or not the compiler fuses the multiply-adds.
double svmDot(const float* a, const float* b, int64_t d);

// Storage for cached kernel rows: one reservation of the whole budget, backed by transparent
// huge pages where Linux offers them, carved first-fit with freed blocks merged. Fresh 4 KiB
// pages cost a fault each (several microseconds on a VM: more than computing the row), so rows
// live in memory that is faulted once, in 2 MiB steps, and reused. Sizes are in floats.
class RowArena {
 public:
  explicit RowArena(int64_t floats);
  ~RowArena();
  RowArena(const RowArena&) = delete;
  RowArena& operator=(const RowArena&) = delete;
  // A block of n floats, or nullptr when no free block is that long.
  float* alloc(int64_t n);
  // Extends the block at p from n to m floats where it stands; false when the next block is taken.
  bool grow(float* p, int64_t n, int64_t m);
  void release(float* p, int64_t n);
  bool owns(const float* p) const { return base_ && p >= base_ && p < base_ + size_; }

 private:
  static int64_t round(int64_t n) { return (n + 15) / 16 * 16; }
  float* base_ = nullptr;
  int64_t size_ = 0;
  std::map<int64_t, int64_t> free_;  // offset -> length, no two adjacent
};

// libsvm's kernel-row cache: rows of Q kept in least-recently-used order within a budget of
// floats (the rows' lengths plus their bookkeeping; never less than two whole rows, which one
// SMO step needs at once). Row i holds Q(i, 0..len) in the solver's current variable order and
// is extended when a longer prefix is asked for. Rows the arena cannot place (it is fragmented)
// go to the heap.
class KernelRowCache {
 public:
  KernelRowCache(int64_t l, double megabytes);
  ~KernelRowCache();
  KernelRowCache(const KernelRowCache&) = delete;
  KernelRowCache& operator=(const KernelRowCache&) = delete;
  // Row i with room for [0, len); *fill is where the values still to compute start (len when
  // none). The pointer stays valid until a later get evicts the row (never the next get: the
  // row just returned is the most recent).
  float* get(int64_t i, int64_t len, int64_t* fill);
  // Follows a swap of variables i and j: the rows trade places and every cached row trades its
  // entries i and j, or is dropped when it holds only the first of them (applied to the rows'
  // entries in one pass at the next get: shrinking swaps many pairs in a row).
  void swapIndex(int64_t i, int64_t j);

 private:
  struct Row {
    float* data = nullptr;
    int64_t len = 0;
    int64_t cap = 0;  // floats held in the arena (0: heap or none)
  };
  void unlink(int64_t h);
  void link(int64_t h);  // as the most recent
  void drop(int64_t h);
  bool evictOldest();
  void resize(Row& r, int64_t len);
  void flushSwaps();

  std::vector<Row> rows_;
  std::vector<int64_t> prev_, next_;  // circular list through the sentinel l_
  int64_t l_;
  int64_t budget_;
  RowArena arena_;
  std::vector<std::pair<int64_t, int64_t>> pending_;  // swaps not yet applied to the rows' entries
};

// out[j - begin] = K(x, row j) for j in [begin, end), x a contiguous row of d values, evaluated
// as libsvm evaluates its kernel matrix: in double, rbf as exp(-gamma (|x|^2 + |x_j|^2 - 2 x.x_j)),
// rounded to float. The solver then sees libsvm's Q (to the float bit, but for a rare last-bit
// difference of exp) and takes its path. Every value is computed by the same operations wherever
// it sits in the range and whatever the range, so a kernel row cut into pieces (threads,
// shrinking) is bitwise the row computed whole, and K(a, b) == K(b, a) bitwise.
void svmKernelRow(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end, float* out);

// K(a, b) in double (the solver's diagonal QD).
double svmKernelDouble(const SvmKernel& k, const float* a, const float* b, int64_t d);

// out[r] = sum_j coef[j] K(sv_j, x_r) - rho for r < m: x [m, d], sv [nSV, d] row-major. linear
// folds the support vectors into one weight vector (in double) first. rbf runs
// |x|^2 + |sv|^2 - 2 x.sv through SGEMM on data centred at the support vectors' mean, fused with
// exp and the weighted sum; a row whose norms would leave that expansion less than ~1e-5
// relative accuracy in the exponent takes the direct |x - sv|^2 route instead. Multi-threaded
// over rows; each row sums in a fixed order, so the result is bitwise the same for any thread
// count.
void svmDecision(const SvmKernel& k, int64_t m, int64_t d, int64_t nSV, const float* x, const float* sv,
                 const float* coef, double rho, float* out);

namespace svm_detail {
// One SIMD level's kernel row (same contract as svmKernelRow).
using KernelRowFn = void (*)(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end,
                             float* out);
void kernelRowAvx2(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end, float* out);
void kernelRowAvx512(const SvmKernel& k, const float* x, const PanelRows& rows, int64_t begin, int64_t end,
                     float* out);

// acc[r][l] += sum over the 16-column groups g of coef[16g + l] * K(value), for the R x S block
// of inner products C (ldc >= S, S a multiple of 16; coef zero past the real columns): rbf reads
// C as x.sv with xn[r] = |x_r|^2 and svn[j] = |sv_j|^2, the others as x.sv.
using AccumulateFn = void (*)(const SvmKernel& k, int64_t R, int64_t S, const float* C, int64_t ldc, const float* xn,
                              const float* svn, const float* coef, float* acc);
void accumulateAvx2(const SvmKernel& k, int64_t R, int64_t S, const float* C, int64_t ldc, const float* xn,
                    const float* svn, const float* coef, float* acc);
void accumulateAvx512(const SvmKernel& k, int64_t R, int64_t S, const float* C, int64_t ldc, const float* xn,
                      const float* svn, const float* coef, float* acc);
}  // namespace svm_detail

}  // namespace vigil
