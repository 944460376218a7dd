// Suite `gemm`: vigil's float32 GEMM (C = A B, row-major, no transposes) against PyTorch torch.mm on the
// same operands, per thread count. Metric `gemm`, unit GFLOP/s (2 M N K flops per call).
import { gemmData, scratch } from '../data.ts';
import { measure, note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { runPeer, torchAvailable } from '../python.ts';
import { gemm } from '../../ts/bindings/gemm.ts';
import { setNumThreads } from '../../ts/bindings/backend.ts';

export const GEMM_SIZES: Array<[number, number, number]> = [
  [512, 512, 512],
  [2048, 2048, 2048],
];

export const gemmCase = (M: number, N: number, K: number) => `${M}x${N}x${K}`;
const gflops = (M: number, N: number, K: number, s: number) => (2 * M * N * K) / s / 1e9;

/** A fast kernel that computes the wrong thing would win any benchmark: spot-check a few entries first. */
function spotCheck(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array): string | null {
  for (let s = 0; s < 16; s++) {
    const i = (s * 7919) % M;
    const j = (s * 104729) % N;
    let ref = 0;
    for (let k = 0; k < K; k++) ref += A[i * K + k] * B[k * N + j];
    if (!(Math.abs(C[i * N + j] - ref) <= 1e-3 * Math.max(1, Math.abs(ref)))) {
      return `C[${i},${j}] = ${C[i * N + j]}, expected ${ref}`;
    }
  }
  return null;
}

async function vigilRows(opts: SuiteOptions, data: Map<string, { A: Float32Array; B: Float32Array }>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const threads of opts.threads) {
    setNumThreads(threads);
    for (const [M, N, K] of GEMM_SIZES) {
      const { A, B } = data.get(gemmCase(M, N, K))!;
      const C = new Float32Array(M * N);
      try {
        gemm(false, false, M, N, K, 1, A, B, 0, C);
      } catch (e) {
        note(`vigil gemm ${gemmCase(M, N, K)} failed: ${(e as Error).message}`);
        continue;
      }
      const bad = spotCheck(M, N, K, A, B, C);
      if (bad) {
        note(`vigil gemm ${gemmCase(M, N, K)} gives wrong results (${bad}); not timed`);
        continue;
      }
      const t = await measure(() => gemm(false, false, M, N, K, 1, A, B, 0, C), opts.repeats);
      const value = gflops(M, N, K, t.seconds);
      progress(`vigil ${gemmCase(M, N, K)} t=${threads}: ${value.toFixed(1)} GFLOP/s`);
      rows.push({ suite: 'gemm', case: gemmCase(M, N, K), impl: 'vigil', threads, metric: 'gemm', unit: 'GFLOP/s', value });
    }
  }
  return rows;
}

/** PyTorch torch.mm rows for `sizes`, one child process per thread count; [] with a note if unavailable. */
export function pytorchGemmRows(
  suite: string,
  sizes: Array<[number, number, number]>,
  threadsList: number[],
  repeats: number,
  data: Map<string, { A: Float32Array; B: Float32Array }>,
): Row[] {
  const torch = torchAvailable();
  if (!torch.ok) {
    note(`pytorch skipped: ${torch.why}`);
    return [];
  }
  const tmp = scratch();
  const rows: Row[] = [];
  try {
    const cases = sizes.map(([M, N, K]) => {
      const { A, B } = data.get(gemmCase(M, N, K)) ?? gemmData(M, N, K);
      return { M, N, K, a: tmp.write(`a${M}x${K}.f32`, A), b: tmp.write(`b${K}x${N}.f32`, B) };
    });
    for (const threads of threadsList) {
      const out = runPeer<{ results: Array<{ M: number; N: number; K: number; gflops: number }> }>('pytorch_gemm.py', {
        threads,
        repeats,
        cases,
      });
      for (const r of out.results) {
        progress(`pytorch ${gemmCase(r.M, r.N, r.K)} t=${threads}: ${r.gflops.toFixed(1)} GFLOP/s`);
        rows.push({ suite, case: gemmCase(r.M, r.N, r.K), impl: 'pytorch', threads, metric: 'gemm', unit: 'GFLOP/s', value: r.gflops });
      }
    }
  } catch (e) {
    note(`pytorch gemm failed: ${(e as Error).message}`);
  } finally {
    tmp.dispose();
  }
  return rows;
}

export async function runGemmSuite(opts: SuiteOptions): Promise<Row[]> {
  const data = new Map(GEMM_SIZES.map(([M, N, K]) => [gemmCase(M, N, K), gemmData(M, N, K)]));
  const rows = await vigilRows(opts, data);
  rows.push(...pytorchGemmRows('gemm', GEMM_SIZES, opts.threads, opts.repeats, data));
  return rows;
}
