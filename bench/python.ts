// Runs the PyTorch peers as child processes, one at a time (spawnSync), so they never share the cores
// with vigil or with each other. The interpreter is /usr/bin/python3 (the python3 first on PATH has no
// torch); override with VIGIL_BENCH_PYTHON.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env.VIGIL_BENCH_PYTHON ?? '/usr/bin/python3';
const peersDir = join(dirname(fileURLToPath(import.meta.url)), 'peers');

let torchProbe: { ok: true; version: string } | { ok: false; why: string } | undefined;

/** Whether the interpreter can import torch, found by running it (cached for the process). */
export function torchAvailable(): { ok: true; version: string } | { ok: false; why: string } {
  if (torchProbe) return torchProbe;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) torchProbe = { ok: false, why: `${PYTHON} cannot run (${r.error.message})` };
  else if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    torchProbe = { ok: false, why: `${PYTHON} has no torch (${last})` };
  } else torchProbe = { ok: true, version: r.stdout.trim() };
  return torchProbe;
}

/**
 * Runs bench/peers/<script> with a JSON config as its only argument and returns the JSON it prints on
 * its last stdout line. Thread-count variables are set too so OpenMP never starts more threads than asked.
 */
export function runPeer<T>(script: string, config: Record<string, unknown> & { threads: number }, timeoutS = 600): T {
  const threads = String(config.threads);
  const r = spawnSync(PYTHON, [join(peersDir, script), JSON.stringify(config)], {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    maxBuffer: 16 << 20,
    env: { ...process.env, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads },
  });
  if (r.error) throw new Error(`${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status}: ${(r.stderr || '').trim().slice(-2000)}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
