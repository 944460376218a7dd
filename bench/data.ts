// Seeded inputs shared by every impl: vigil and the in-process peers read these arrays, the python
// peers read the same bytes from a temporary file, so every impl sees identical data.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUniform } from '../ts/bindings/random.ts';

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

// Drawn from vigil's own Philox generator (streams 1 and 2 of the seed; T and the sizes pick the seed).
export function lstmData(batch: number, T: number, seed = 1234): LstmData {
  const u = randomUniform(new Float32Array(batch * T), seed + T, 1);
  const tokens = Int32Array.from(u, (x) => 1 + Math.floor(x * (VOCAB - 1)));
  const labels = Float32Array.from(randomUniform(new Float32Array(batch), seed + T, 2), (x) => (x < 0.5 ? 0 : 1));
  return { batch, T, tokens, labels };
}

/** Row-major [M, K] and [K, N] operands in [-1, 1). */
export function gemmData(M: number, N: number, K: number, seed = 99): { A: Float32Array; B: Float32Array } {
  const s = seed + M + 7 * N + 13 * K;
  return { A: randomUniform(new Float32Array(M * K), s, 1, -1, 1), B: randomUniform(new Float32Array(K * N), s, 2, -1, 1) };
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
