// Timing and the row format shared by every suite. One policy for every impl (vigil and its peers,
// mirrored in bench/peers/timing.py): a warm-up call, then the median of N timed repeats, where a repeat
// runs the operation enough times to last at least MIN_REPEAT_S so millisecond-scale calls are not
// dominated by timer noise.

/** One measurement; the JSON output is an array of these (format fixed by the issue). */
export interface Row {
  suite: string;
  case: string;
  /** 'vigil' or the peer's name ('onnxruntime-node', 'pytorch', 'tfjs'). */
  impl: string;
  threads: number;
  /** Names the operation ('infer', 'train', 'gemm'); the same string for vigil and its peers. */
  metric: string;
  /** A throughput ('seq/s', 'GFLOP/s', 'GB/s') or a time ('s', 'ms'). */
  unit: string;
  value: number;
}

export const MIN_REPEAT_S = 0.1;

export interface Timing {
  /** Median seconds for one call. */
  seconds: number;
  /** Calls per timed repeat. */
  inner: number;
  repeats: number;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Warm-up, then the median over `repeats` of the per-call time. Works for sync and async operations. */
export async function measure(fn: () => unknown, repeats: number, minRepeatS = MIN_REPEAT_S): Promise<Timing> {
  const t0 = now();
  await fn();
  const warm = now() - t0;
  // The warm-up includes one-off costs (JIT, allocation), so it can only over-estimate a call.
  const inner = Math.max(1, Math.ceil(minRepeatS / Math.max(warm, 1e-6)));
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = now();
    for (let i = 0; i < inner; i++) await fn();
    times.push((now() - t) / inner);
  }
  return { seconds: median(times), inner, repeats };
}

/** Prints a skip note in one recognisable form. */
export function note(msg: string): void {
  console.log(`  note: ${msg}`);
}

export function progress(msg: string): void {
  console.log(`  .. ${msg}`);
}

export function isThroughput(unit: string): boolean {
  return unit.endsWith('/s');
}

/** vigil speed / peer speed: > 1 means vigil is faster, whatever the unit. */
export function speedRatio(unit: string, vigil: number, peer: number): number {
  return isThroughput(unit) ? vigil / peer : peer / vigil;
}

/** What every suite receives from the command line. */
export interface SuiteOptions {
  threads: number[];
  repeats: number;
}
