// LSTM over whole sequences, forward and backward (BPTT).
//
// Conventions (shared with the SimpleRNN in rnn.h, where G = H instead of 4H):
// - PyTorch gate order i, f, g, o. W_ih [4H, I], W_hh [4H, H], ONE bias [4H] (PyTorch's
//   b_ih + b_hh summed). G = 4H is the width of the gate pre-activations.
// - Batch-major: x [B, T, I]; outputs y [B, T, H] (all steps) and/or hLast [B, H]; cLast [B, H].
// - Optional initial states h0, c0 [B, H] (null = zeros).
// - Two input modes. Dense: x [B, T, I] with W_ih and bias. Gather (Embedding feeding the LSTM):
//   token ids [B, T] plus a folded table [V, 4H] = Emb · W_ihᵀ + bias (lstmFoldEmbedding), so the
//   input projection is a row gather. Gather-mode backward gives dTable [V, 4H] (scatter-add of
//   the gate gradients by token, deterministic); lstmUnfoldGradient turns it into dEmb, dW_ih, dBias.
// - Optional lengths [B] in [0, T] with a padding side. Pre (Keras pad_sequences): the valid steps
//   are the LAST len steps; Post (PyTorch packed sequences): the first len steps. Padded steps cost
//   no work, their outputs are written as 0, the state is carried unchanged across them, and
//   hLast/cLast are the state after the last valid step (h0/c0 when len = 0).
// - Variational recurrent dropout (Keras LSTM implementation 2), training only: one mask per
//   sequence [B, H] applied to h_{t-1} before the W_hh product at every step; entry (b, j) is kept
//   iff philoxUniform(seed, stream, b*H + j) >= p, and kept entries are scaled by 1/(1-p). The
//   backward rebuilds the same mask from (seed, stream).
// - Training forward writes a cache that the backward reads. Layout (lstmCacheSize floats), three
//   TIME-MAJOR planes: gates after their nonlinearity [T, B, 4H] (i, f, g, o), cell states c_t
//   [T, B, H], hidden states h_t [T, B, H] (before dropout). Entries of padded steps are left
//   unwritten, except that the h plane holds the carried state there. Time-major keeps the rows of
//   one step contiguous (batch-major rows of a power-of-two T sit a power-of-two stride apart and
//   thrash the caches' sets).
// - The backward CONSUMES the cache (it overwrites the gate plane with the gate gradients and, with
//   dropout, masks the h plane in place): one backward per training forward, as in PyTorch.
//   This avoids allocating B*T-row buffers per call, whose fresh pages cost more than the math.
// - Backward: dY [B, T, H] (or null) and/or dHlast [B, H] (or null), optional dCn [B, H]. Outputs
//   overwrite (never accumulate): dX (dense) or dTable (gather), dW_ih (dense), dW_hh, dBias,
//   dh0, dc0; each may be null when not wanted.
// - Optional yMax [B, H] (inference): each unit's maximum over the sequence's valid steps, i.e.
//   Keras' masked GlobalMaxPooling1D fused into the recurrence, so that a returnSequences layer
//   feeding the pooling never writes y (B*T*H floats, mostly the zeros of padded steps). 0 for a
//   row with no valid steps. The maximum is NaN-sticky as the pooling layer's, although the glue's
//   finite-input checks and the clamped activations keep NaN out of h.
// - Sequences are independent: the recurrence is split over the batch (each pool chunk runs its
//   rows through all T steps) and every row's arithmetic is the same whatever rows share its
//   chunk, so results are bit-identical for any thread count. The forward deals the rows to the
//   chunks by length (recurrent::planRows) so that each gets a similar number of valid steps.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace vigil {

enum class Padding { Pre, Post };

// Inputs shared by the LSTM and SimpleRNN drivers; G (gate width) is 4H or H.
struct RecurrentArgs {
  int64_t B = 0, T = 0, I = 0, H = 0, V = 0;
  // Dense mode (tokens == nullptr).
  const float* x = nullptr;     // [B, T, I]
  const float* wIh = nullptr;   // [G, I]
  const float* bias = nullptr;  // [G] or null
  // Gather mode.
  const int32_t* tokens = nullptr;  // [B, T], each in [0, V)
  const float* table = nullptr;     // [V, G]
  const float* wHh = nullptr;       // [G, H]
  const float* h0 = nullptr;        // [B, H] or null
  const float* c0 = nullptr;        // [B, H] or null (LSTM only)
  const int32_t* lengths = nullptr; // [B] or null (all T)
  Padding padding = Padding::Pre;
  float dropout = 0;  // recurrent dropout rate; 0 outside training
  uint64_t seed = 0, stream = 0;
};

struct RecurrentGrads {
  const float* dY = nullptr;     // [B, T, H] or null
  const float* dHlast = nullptr; // [B, H] or null
  const float* dCn = nullptr;    // [B, H] or null (LSTM only)
  float* dX = nullptr;      // [B, T, I] dense mode
  float* dWIh = nullptr;    // [G, I] dense mode
  float* dTable = nullptr;  // [V, G] gather mode
  float* dWHh = nullptr;    // [G, H]
  float* dBias = nullptr;   // [G]
  float* dh0 = nullptr;     // [B, H]
  float* dc0 = nullptr;     // [B, H] (LSTM only)
};

int64_t lstmCacheSize(int64_t B, int64_t T, int64_t H);

// cache may be null when not training (then dropout must be 0). y, hLast, cLast, yMax may be null.
void lstmForward(const RecurrentArgs& a, float* cache, float* y, float* hLast, float* cLast, float* yMax);
// Consumes (overwrites) cache.
void lstmBackward(const RecurrentArgs& a, float* cache, const RecurrentGrads& g);

// table [V, G] = emb [V, E] · W_ihᵀ ([G, E]) + bias [G] (bias may be null).
void foldEmbedding(int64_t V, int64_t E, int64_t G, const float* emb, const float* wIh, const float* bias,
                   float* table);
// dEmb [V, E] = dTable · W_ih; dW_ih [G, E] = dTableᵀ · emb; dBias [G] = column sums of dTable.
// Any output may be null.
void unfoldGradient(int64_t V, int64_t E, int64_t G, const float* emb, const float* wIh, const float* dTable,
                    float* dEmb, float* dWIh, float* dBias);

// Pieces shared with rnn.cc.
namespace recurrent {

// An uninitialised float buffer (large scratch written once: no up-front zero fill).
struct Scratch {
  explicit Scratch(int64_t n) : buf(n > 0 ? new float[n] : nullptr), p(buf.get()) {}
  std::unique_ptr<float[]> buf;
  float* p;
};

// Zeroes the rows of sequence b's padded steps in dG [T*B, G].
void zeroPaddedRows(const RecurrentArgs& a, int64_t b, int64_t s, int64_t e, int64_t G, float* dG);

// Valid steps [*s, *e) of sequence b.
void validRange(const RecurrentArgs& a, int64_t b, int64_t* s, int64_t* e);
// How the forward splits the batch over the pool: chunk c runs rows order[bounds[c]..bounds[c+1]).
// Rows are dealt longest first to the chunk with the fewest valid steps so far (a contiguous split
// of a batch of mixed lengths leaves one thread waiting), so each chunk's rows are in descending
// length and its active rows at any step are a prefix. The plan depends only on the lengths and
// the thread count; no row's arithmetic depends on it.
struct RowPlan {
  std::vector<int64_t> order, bounds;
  int64_t chunks() const { return static_cast<int64_t>(bounds.size()) - 1; }
};
RowPlan planRows(const RecurrentArgs& a, int64_t grain);
// m[j] = max(m[j], h[j]) for j < n, NaN sticky (a NaN in h or m leaves m NaN): yMax's update.
void maxInto(int64_t n, const float* h, float* m);
// Rows of yMax start at -inf when the sequence has valid steps, and are 0 (final) when it has none.
void startMax(const RecurrentArgs& a, int64_t b, float* yMax);
// The dropout mask of sequence b (scale included), H values.
void dropoutRow(const RecurrentArgs& a, int64_t b, float* mask);
// out[r][0..N) = init[r] (or 0 when init is null) + a[r][0..K) · w [K, N], for r < n rows.
// Each row's result is independent of n and of the other rows (bit-identical grouping).
void product(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w, const float* const* init,
             float* const* out);
// P [T*B, G] (time-major) = x · W_ihᵀ + bias (dense mode).
void inputProjection(const RecurrentArgs& a, int64_t G, float* P);
// dX, dW_ih (dense), dTable (gather) and dBias from the gate pre-activation gradients dG [T*B, G]
// (time-major, zero at padded steps). dW_hh is recurrentWeightGrad's.
void weightGrads(const RecurrentArgs& a, int64_t G, const float* dG, const RecurrentGrads& g);
// C [M, N] = Aᵀ · Bm + beta·C summed over `rows` rows (A [rows, M], Bm [rows, N]): the sum is split
// into blocks of rows fixed by `rows` (parallel, deterministic), unlike sgemm which never splits K.
void productOverRows(int64_t rows, int64_t M, int64_t N, const float* A, int64_t lda, const float* Bm, int64_t ldb,
                     float beta, float* C);
// dW_hh [G, H] = sum over steps t of dG_tᵀ · hm_{t-1}, where hm_{t-1} is row block t-1 of hPlane
// [T*B, H] (already masked; padded slots hold the carried state, where dG is 0) and hm_{-1} = h0
// masked (or zeros).
void recurrentWeightGrad(const RecurrentArgs& a, int64_t G, const float* dG, const float* hPlane, float* dWHh);
// Column sums of m [rows, cols] in row order (deterministic).
void columnSums(int64_t rows, int64_t cols, const float* m, float* out);

// Element-wise cell kernels: the forward is the portable path's (SIMD paths fuse it into lstmStep).
// z [4H]: pre-activations in, activated gates out; c [H]: c_{t-1} in, c_t out; h [H]: h_t out.
void lstmCellForward(int64_t H, float* z, float* c, float* h);
// dh, dc [H]: gradients w.r.t. h_t, c_t in; dc becomes dc_{t-1}. dz [4H]: pre-activation grads.
void lstmCellBackward(int64_t H, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dz);
void tanhInPlace(int64_t n, float* v);

// W_hh packed for the fused LSTM step: ceil(H/width) panels of H x 4·width floats; row k of panel
// q holds the i, f, g, o weights (width each) of units [q·width, q·width + width) for input k, so
// one vector per gate of a row's product covers every pre-activation that the cell update of
// those units needs. Units beyond H are zero. The SIMD width picks `width` (16 AVX-512, 8 AVX2).
int64_t gatePanelSize(int64_t H, int64_t width);
void packGatePanels(int64_t H, int64_t width, const float* wHh, float* panel);

}  // namespace recurrent

#if defined(VIGIL_X86)
// Per-row pointers of one fused LSTM step (lstmStep of lstm_avx2.cc / lstm_avx512.cc), n rows each.
struct LstmStepRows {
  const float* const* hIn;  // h_{t-1} [H] (masked under dropout): the W_hh product's input
  const float* const* init; // pre-activation rows [4H] before the W_hh product (table row or projection)
  float* const* c;          // c_{t-1} in, c_t out [H]
  float* const* hOut;       // h_t out [H]; never aliases hIn
  float* const* gates;      // null, or rows [4H] that get the activated gates (training cache)
};

namespace avx2 {
constexpr int64_t kGateWidth = 8;  // units per packed W_hh panel (packGatePanels)
// One step for n rows: pre-activations = init + hIn · W_hhᵀ, then the cell update.
void lstmStep(int64_t n, int64_t H, const float* panel, const LstmStepRows& rows);
void recurrentProduct(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w,
                      const float* const* init, float* const* out);
void lstmCellBackward(int64_t H, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dz);
void tanhInPlace(int64_t n, float* v);
void maxInto(int64_t n, const float* h, float* m);
// As avx512::productOverRows.
void productOverRows(int64_t rows, int64_t m0, int64_t m1, int64_t N, const float* A, int64_t lda, const float* Bm,
                     int64_t ldb, float beta, float* C);
}  // namespace avx2

namespace avx512 {
constexpr int64_t kGateWidth = 16;
void lstmStep(int64_t n, int64_t H, const float* panel, const LstmStepRows& rows);
void recurrentProduct(int64_t n, int64_t K, int64_t N, const float* const* a, const float* w,
                      const float* const* init, float* const* out);
void lstmCellBackward(int64_t H, const float* gates, const float* cPrev, const float* c, const float* dh, float* dc,
                      float* dz);
void maxInto(int64_t n, const float* h, float* m);
// Rows m0..m1-1 of C [M, N] = Aᵀ · Bm + beta·C over `rows` rows (A [rows, M], Bm [rows, N]);
// every element adds the rows in order, so splitting [0, M) between threads changes nothing.
void productOverRows(int64_t rows, int64_t m0, int64_t m1, int64_t N, const float* A, int64_t lda, const float* Bm,
                     int64_t ldb, float beta, float* C);
}  // namespace avx512
#endif

}  // namespace vigil
