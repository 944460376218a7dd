// Seeded inputs shared by every impl: vigil and the in-process peers read these arrays, the python
// peers read the same bytes from a temporary file, so every impl sees identical data.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// mulberry32, the same generator as test/helpers/random.ts (kept separate: bench/ must not depend on tests).
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const VOCAB = 64;
export const EMBED = 32;
export const HIDDEN = 64;

export interface LstmData {
  batch: number;
  T: number;
  /** [batch, T] ids in [1, VOCAB) (0 is left free for padding). */
  tokens: Int32Array;
  /** [batch] 0/1 targets. */
  labels: Float32Array;
}

export function lstmData(batch: number, T: number, seed = 1234): LstmData {
  const r = rng(seed ^ (T * 7919));
  const tokens = new Int32Array(batch * T);
  for (let i = 0; i < tokens.length; i++) tokens[i] = 1 + Math.floor(r() * (VOCAB - 1));
  const labels = new Float32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = r() < 0.5 ? 0 : 1;
  return { batch, T, tokens, labels };
}

/** Row-major [M, K] and [K, N] operands in [-1, 1). */
export function gemmData(M: number, N: number, K: number, seed = 99): { A: Float32Array; B: Float32Array } {
  const r = rng(seed ^ M ^ (N << 12) ^ (K << 24));
  const A = new Float32Array(M * K);
  const B = new Float32Array(K * N);
  for (let i = 0; i < A.length; i++) A[i] = 2 * r() - 1;
  for (let i = 0; i < B.length; i++) B[i] = 2 * r() - 1;
  return { A, B };
}

/** A scratch directory for the files handed to python peers; removed by `dispose`. */
export function scratch(): { dir: string; write(name: string, data: ArrayBufferView): string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  return {
    dir,
    write(name, data) {
      const p = join(dir, name);
      writeFileSync(p, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return p;
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
