// The one-class SVM kernels (native/cpu/ocsvm.h, native/cpu/svm_kernel.h): libsvm's SMO solver
// and the blocked decision function.
import { addon } from './addon.ts';
import { resolveDevice } from './device.ts';
import type { Device } from './device.ts';

type F32 = Float32Array;

export type SvmKernelName = 'linear' | 'poly' | 'rbf' | 'sigmoid';

/** A kernel with its parameters: K(a, b) = a.b | (gamma a.b + coef0)^degree | exp(-gamma |a-b|²) | tanh(gamma a.b + coef0). */
export interface SvmKernelSpec {
  kernel: SvmKernelName;
  /** > 0 (checked for every kernel, as scikit-learn does, though linear does not use it). */
  gamma: number;
  /** Integer >= 0 (poly only). */
  degree: number;
  /** poly and sigmoid only. */
  coef0: number;
}

export interface OcsvmFitSpec extends SvmKernelSpec {
  /** In (0, 1]: an upper bound on the share of training errors, a lower bound on the share of support vectors. */
  nu: number;
  /** Stopping tolerance on the maximal KKT violation (> 0; scikit-learn's default 1e-3). */
  tol: number;
  /** Kernel-row cache budget in MiB (> 0; scikit-learn's cache_size, default 200). */
  cacheMB: number;
  /** Iteration cap, or -1 for none. */
  maxIter: number;
  shrinking: boolean;
}

export type OcsvmStatus = 'converged' | 'maxIter' | 'aborted';

export interface OcsvmFitResult {
  /** The offset of the decision function Σ α_i K(x_i, x) - rho (scikit-learn's offset_ = -intercept_). */
  rho: number;
  /** 0.5 αᵀQα at the solution. */
  objective: number;
  iterations: number;
  status: OcsvmStatus;
  /** Rows with α > 0. */
  supportVectors: number;
}

/**
 * Slots of the `ctrl` Int32Array(4) shared with a running fit: write 1 to `stop` (with
 * Atomics.store) to stop it at its next check; `iterations` is updated while it runs.
 */
export const OCSVM_CTRL = { stop: 0, iterations: 1, status: 2, supportVectors: 3 } as const;

const STATUS: readonly OcsvmStatus[] = ['converged', 'maxIter', 'aborted'];

interface OcsvmAddon {
  ocsvmFit(
    n: number, d: number, x: F32, kernel: string, gamma: number, degree: number, coef0: number, nu: number, tol: number,
    cacheMB: number, maxIter: number, shrinking: boolean, alpha: F32, stats: F32, ctrl: Int32Array,
  ): void;
  ocsvmFitAsync(
    n: number, d: number, x: F32, kernel: string, gamma: number, degree: number, coef0: number, nu: number, tol: number,
    cacheMB: number, maxIter: number, shrinking: boolean, alpha: F32, stats: F32, ctrl: Int32Array,
  ): Promise<void>;
  ocsvmDecision(
    m: number, d: number, nSV: number, x: F32, sv: F32, coef: F32, kernel: string, gamma: number, degree: number,
    coef0: number, rho: number, out: F32,
  ): void;
  ocsvmDecisionAsync(
    m: number, d: number, nSV: number, x: F32, sv: F32, coef: F32, kernel: string, gamma: number, degree: number,
    coef0: number, rho: number, out: F32,
  ): Promise<void>;
  ocsvmDecisionCuda: OcsvmAddon['ocsvmDecision'];
  ocsvmDecisionCudaAsync: OcsvmAddon['ocsvmDecisionAsync'];
}

const native = () => addon<OcsvmAddon>();

function spec(fn: string, s: unknown): OcsvmFitSpec {
  if (typeof s !== 'object' || s === null) throw new TypeError(`${fn}: spec must be an object`);
  return s as OcsvmFitSpec;
}

function result(stats: F32, ctrl: Int32Array): OcsvmFitResult {
  return {
    // The native side splits its doubles into float pairs whose sum restores them.
    rho: stats[0] + stats[1],
    objective: stats[2] + stats[3],
    iterations: ctrl[OCSVM_CTRL.iterations],
    status: STATUS[ctrl[OCSVM_CTRL.status]],
    supportVectors: ctrl[OCSVM_CTRL.supportVectors],
  };
}

/**
 * Trains the ν-one-class SVM on `x [n, d]` (row-major) as libsvm / scikit-learn's OneClassSVM do,
 * writing the dual solution into `alpha [n]` (0 outside the support vectors; in libsvm's scaling:
 * 0 <= α_i <= 1, Σ α_i = ν n). `ctrl` (Int32Array(4), see OCSVM_CTRL) lets another thread stop the
 * fit and read its progress. Bitwise the same for any thread count.
 */
export function ocsvmFit(n: number, d: number, x: F32, s: OcsvmFitSpec, alpha: F32, ctrl = new Int32Array(4)): OcsvmFitResult {
  const o = spec('ocsvmFit', s);
  const stats = new Float32Array(4);
  native().ocsvmFit(n, d, x, o.kernel, o.gamma, o.degree, o.coef0, o.nu, o.tol, o.cacheMB, o.maxIter, o.shrinking, alpha, stats, ctrl);
  return result(stats, ctrl);
}

/** `ocsvmFit` on a worker thread. Do not touch `x` or `alpha` until it settles. */
export async function ocsvmFitAsync(
  n: number, d: number, x: F32, s: OcsvmFitSpec, alpha: F32, ctrl = new Int32Array(4),
): Promise<OcsvmFitResult> {
  const o = spec('ocsvmFitAsync', s);
  const stats = new Float32Array(4);
  await native().ocsvmFitAsync(
    n, d, x, o.kernel, o.gamma, o.degree, o.coef0, o.nu, o.tol, o.cacheMB, o.maxIter, o.shrinking, alpha, stats, ctrl,
  );
  return result(stats, ctrl);
}

/**
 * Whether a decision call runs on the GPU: 'cuda' asks for it (the native side refuses kernels
 * other than rbf with a RangeError), 'auto' takes it for rbf when a GPU is usable.
 */
function onGpu(fn: string, kernel: unknown, device: Device): boolean {
  if (device === 'auto' && kernel !== 'rbf') return false;
  return resolveDevice(fn, device) === 'cuda';
}

/**
 * `out[r] = Σ_j coef[j] K(sv_j, x_r) - rho` for `x [m, d]`, `sv [nSV, d]`: scikit-learn's
 * decision_function (positive = inlier). Blocked over rows and support vectors, multi-threaded,
 * bitwise the same for any thread count.
 *
 * `device` (default 'cpu'): 'cuda' runs the rbf kernel on the GPU (native/cuda/svm_kernel.cu; the
 * rows and support vectors are copied there for each call; other kernels: RangeError), 'auto'
 * does so for rbf when a GPU is usable and runs the other kernels on the CPU. The GPU computes
 * |x - sv|² directly in float32: not the CPU's bits, within ~1e-5 relative.
 */
export function ocsvmDecision(
  m: number, d: number, nSV: number, x: F32, sv: F32, coef: F32, k: SvmKernelSpec, rho: number, out: F32, device: Device = 'cpu',
): void {
  const o = spec('ocsvmDecision', k);
  const n = native();
  (onGpu('ocsvmDecision', o.kernel, device) ? n.ocsvmDecisionCuda : n.ocsvmDecision)(
    m, d, nSV, x, sv, coef, o.kernel, o.gamma, o.degree, o.coef0, rho, out);
}

export async function ocsvmDecisionAsync(
  m: number, d: number, nSV: number, x: F32, sv: F32, coef: F32, k: SvmKernelSpec, rho: number, out: F32, device: Device = 'cpu',
): Promise<void> {
  const o = spec('ocsvmDecisionAsync', k);
  const n = native();
  return (onGpu('ocsvmDecisionAsync', o.kernel, device) ? n.ocsvmDecisionCudaAsync : n.ocsvmDecisionAsync)(
    m, d, nSV, x, sv, coef, o.kernel, o.gamma, o.degree, o.coef0, rho, out);
}
