// Machine ceilings printed beside the results (suite `machine`): what the kernels could reach at best.
// - memory bandwidth: a 1 GiB copy between two SharedArrayBuffers, split over `threads` worker threads,
//   counting read + write bytes (what a streaming kernel moves);
// - FMA peak: /proc/cpuinfo MHz x FLOP/cycle x threads, with two FMA pipes of the widest vectors the
//   processor has (AVX2: 2 x 8 lanes x 2 = 32; AVX-512: 64);
// - PyTorch GEMM 2048^3 GFLOP/s (the gemm suite's numbers when it ran, else measured here).
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { median, note, progress, type Row, type SuiteOptions } from './harness.ts';
import { gemmCase, pytorchGemmRows } from './suites/gemm.ts';
import { gemmData } from './data.ts';
import { backend } from '../ts/bindings/backend.ts';

const COPY_BYTES = 512 << 20; // source and destination each: 1 GiB moved per copy

// Plain JS for the workers (eval'd), so they need no TypeScript loader. Each copies its own slice on
// every message; the main thread times from the first post to the last reply.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { src, dst, begin, end } = workerData;
const s = new Float64Array(src, begin * 8, end - begin);
const d = new Float64Array(dst, begin * 8, end - begin);
parentPort.on('message', () => { d.set(s); parentPort.postMessage(0); });
`;

async function copyBandwidth(threads: number, repeats: number): Promise<number> {
  const src = new SharedArrayBuffer(COPY_BYTES);
  const dst = new SharedArrayBuffer(COPY_BYTES);
  const n = COPY_BYTES / 8;
  const init = new Float64Array(src);
  for (let i = 0; i < n; i++) init[i] = i; // touch every page so the first copy is not page faults
  new Float64Array(dst).fill(1);
  const workers = Array.from({ length: threads }, (_, w) => {
    const begin = Math.floor((n * w) / threads);
    const end = Math.floor((n * (w + 1)) / threads);
    return new Worker(workerSource, { eval: true, workerData: { src, dst, begin, end } });
  });
  const once = async () => {
    const t0 = process.hrtime.bigint();
    await Promise.all(workers.map((w) => new Promise((res) => { w.once('message', res); w.postMessage(0); })));
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  try {
    await once();
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) times.push(await once());
    return (2 * COPY_BYTES) / median(times) / 1e9;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The core clock in MHz from /proc/cpuinfo (highest listed), or null where there is none. */
export function cpuMhz(): number | null {
  try {
    const mhz = [...readFileSync('/proc/cpuinfo', 'utf8').matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
    return mhz.length > 0 ? Math.max(...mhz) : null;
  } catch {
    return null;
  }
}

/** Ceiling rows; `gemmRows` are the gemm suite's rows when it ran, so torch is not measured twice. */
export async function measureMachine(opts: SuiteOptions, gemmRows: Row[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const threads of opts.threads) {
    const value = await copyBandwidth(threads, opts.repeats);
    progress(`memory copy t=${threads}: ${value.toFixed(1)} GB/s`);
    rows.push({ suite: 'machine', case: 'copy 1GiB read+write', impl: 'node', threads, metric: 'bandwidth', unit: 'GB/s', value });
  }
  const mhz = cpuMhz();
  if (mhz === null) note('FMA peak skipped: no "cpu MHz" in /proc/cpuinfo');
  else {
    const simd = backend().simdHardware === 'avx512' ? 'avx512' : 'avx2';
    const flopPerCycle = simd === 'avx512' ? 64 : 32;
    for (const threads of opts.threads) {
      rows.push({
        suite: 'machine',
        case: `${simd}-fma ${mhz.toFixed(0)}MHz x${flopPerCycle}`,
        impl: 'cpuinfo',
        threads,
        metric: 'peak',
        unit: 'GFLOP/s',
        value: (mhz * flopPerCycle * threads) / 1000,
      });
    }
  }
  const big = gemmCase(2048, 2048, 2048);
  let torch = gemmRows.filter((r) => r.impl === 'pytorch' && r.case === big);
  if (torch.length === 0) {
    const data = new Map([[big, gemmData(2048, 2048, 2048)]]);
    torch = pytorchGemmRows('machine', [[2048, 2048, 2048]], opts.threads, opts.repeats, data);
  }
  rows.push(...torch.map((r) => ({ ...r, suite: 'machine' })));
  return rows;
}
