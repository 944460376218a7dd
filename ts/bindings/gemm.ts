import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

/** 'tf32' allows TF32 tensor cores on the GPU (see gemm); float32 is the default everywhere. */
export type GemmPrecision = 'float32' | 'tf32';

interface GemmAddon {
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Float32Array, B: Float32Array, beta: number, C: Float32Array, precision?: GemmPrecision,
  ): void;
  gemmAsync(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Float32Array, B: Float32Array, beta: number, C: Float32Array, precision?: GemmPrecision,
  ): Promise<void>;
  gemmCuda: GemmAddon['gemm'];
  gemmCudaAsync: GemmAddon['gemmAsync'];
}

const native = () => addon<GemmAddon>();

/**
 * Single-precision matrix product, in place: `C = alpha * op(A) * op(B) + beta * C`.
 *
 * All matrices are dense and row-major. `op(A)` is M x K: `A` holds M x K values, or K x M
 * when `transA` (it is then read transposed). `op(B)` is K x N: `B` holds K x N values, or
 * N x K when `transB`. `C` holds M x N values. Sizes are positive integers.
 *
 * With `beta === 0`, C is write-only (it may hold NaN); otherwise it is read and must be
 * finite. A and B must be finite and must not share memory with C. The result is
 * bit-identical for any thread count. Throws TypeError / RangeError on bad arguments.
 *
 * `device` (default 'cpu'): 'cuda' runs the tiled CUDA kernel (native/cuda/gemm.cu; the operands
 * are copied to the GPU and C back for each call), 'auto' does when a GPU is usable. On the GPU
 * each element is a float32 chain of fused multiply-adds in k order: not the CPU's bits, within
 * ~1e-6 relative. A CUDA failure throws an Error naming the kernel and the sizes.
 *
 * `precision` (default 'float32'): 'tf32' lets the CUDA path use TF32 tensor cores (sm_80 and
 * later; older GPUs compute float32), whose operands keep 10 mantissa bits: expect ~1e-3 relative
 * error, not ~1e-6. The CPU computes float32 whatever it says. The TF32 kernel has not yet been run on
 * a GPU (see the README's GPU section).
 */
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: Float32Array, B: Float32Array, beta: number, C: Float32Array, device: Device = 'cpu',
  precision: GemmPrecision = 'float32',
): void {
  const n = native();
  onDevice(n, 'gemm', device)(transA, transB, M, N, K, alpha, A, B, beta, C, precision);
}

/**
 * `gemm` on a worker thread: resolves once C holds the result. The buffers stay alive until
 * then, but must not be modified meanwhile. Bad arguments reject with TypeError / RangeError.
 */
export async function gemmAsync(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: Float32Array, B: Float32Array, beta: number, C: Float32Array, device: Device = 'cpu',
  precision: GemmPrecision = 'float32',
): Promise<void> {
  const n = native();
  return onDevice(n, 'gemmAsync', device)(
    transA, transB, M, N, K, alpha, A, B, beta, C, precision);
}
