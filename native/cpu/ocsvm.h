// ν-one-class SVM (Schölkopf et al. 2001) trained by SMO as libsvm (and so scikit-learn's
// OneClassSVM) trains it: the dual
//     min 0.5 αᵀQα   subject to  0 <= α_i <= 1,  Σ α_i = ν n,   Q_ij = K(x_i, x_j)
// started from libsvm's point (the first ⌊νn⌋ rows at 1, the next one at the remainder), with
// second-order working-set selection (Fan, Chen & Lin 2005), shrinking with the gradient rebuilt
// before the final check, an LRU cache of kernel rows of bounded size, and ρ from the free
// variables' gradients. The decision function is Σ_i α_i K(x_i, x) - ρ (positive = inlier).
#pragma once
#include <cstdint>

#include "cpu/svm_kernel.h"

namespace vigil {

struct OcsvmOptions {
  SvmKernel kernel;
  double nu = 0.5;          // in (0, 1]
  double tol = 1e-3;        // stopping tolerance on the maximal violating pair (libsvm's eps)
  double cacheMB = 200;     // kernel-row cache budget in MiB (at least two rows are always kept)
  int64_t maxIter = -1;     // -1: no limit
  bool shrinking = true;
};

enum class OcsvmStatus : int32_t { Converged = 0, MaxIter = 1, Aborted = 2 };

struct OcsvmResult {
  double rho = 0;
  double objective = 0;  // 0.5 αᵀQα at the solution
  int64_t iterations = 0;
  OcsvmStatus status = OcsvmStatus::Converged;
};

// Fits on x [n, d] (row-major) and writes the dual solution alpha[n] (0 outside the support
// vectors). ctrl, when given, is shared with the caller while the fit runs: ctrl[0] != 0 asks the
// solver to stop (checked every <= 1000 iterations and between blocks of the gradient set-up;
// the result then has status Aborted and no usable solution), ctrl[1] receives the iterations
// done so far. Throws std::invalid_argument on bad options.
OcsvmResult ocsvmFit(int64_t n, int64_t d, const float* x, const OcsvmOptions& opts, double* alpha,
                     int32_t* ctrl = nullptr);

}  // namespace vigil
