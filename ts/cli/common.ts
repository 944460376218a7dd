// What the `vigil` subcommands share: the streams they write to, the usage error (exit 2), flag
// value parsers that turn a bad value into one and the one writer of --json reports. The checks of
// the files and folders flags name are in paths.ts.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Writer } from '../experiments/progress.ts';
import type { ScoreMetrics } from '../experiments/custom.ts';

export type { Writer } from '../experiments/progress.ts';

export interface Io {
  stdout: Writer;
  stderr: Writer;
  /** Show cli-progress bars (needs a TTY stream; default: process.stderr when it is one). */
  progressStream?: NodeJS.WriteStream | null;
}

/** A bad command line: main() prints it with the usage text and exits 2. */
export class UsageError extends Error {}

/** node:util's parseArgs with its errors (unknown flag, missing value) turned into usage errors. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * Upper bounds of the integer flags. A value past them is a typo (an extra digit), not a request: it
 * would run for days, or lose precision on its way to the models.
 */
export const MAX_EPOCHS = 100_000;
/** One bound for every command (vigil train --detector always took seeds up to 2^31 - 1); --seeds counts on from --seed within it. */
export const MAX_SEED = 2 ** 31 - 1;
export const MAX_ROWS = 2 ** 31 - 1;
export const MAX_BATCH_SIZE = 1 << 24;

/** A decimal integer in [min, max] (digits only: no sign, point, exponent or blanks). */
export function positiveInt(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`${flag} must be an integer >= ${min} and <= ${max}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** --seed N and --seeds K: seeds N .. N+K-1, every one of them a valid seed. */
export function seedRange(seed: string | undefined, seeds: string | undefined, defaultSeed: number): { first: number; count: number } {
  const first = positiveInt('--seed', seed, 0, MAX_SEED) ?? defaultSeed;
  const count = positiveInt('--seeds', seeds, 1, 1000) ?? 1;
  if (first + count - 1 > MAX_SEED) throw new UsageError(`--seed ${first} with --seeds ${count} runs seeds past ${MAX_SEED}`);
  return { first, count };
}

/**
 * A finite number between `lo` and `hi` (either left out: unbounded), each end included unless
 * `open` names it: 'low' gives (lo, hi], 'high' [lo, hi).
 */
export function finiteNumber(flag: string, v: string | undefined, lo = -Infinity, hi = Infinity, open?: 'low' | 'high'): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  const lowOpen = open === 'low', highOpen = open === 'high';
  if (v.trim() === '' || !Number.isFinite(x) || x < lo || (lowOpen && x === lo) || x > hi || (highOpen && x === hi)) {
    const range = lo === -Infinity && hi === Infinity ? ''
      : lo === -Infinity ? ` ${highOpen ? '<' : '<='} ${hi}`
        : hi === Infinity ? ` ${lowOpen ? '>' : '>='} ${lo}`
          : ` in ${lowOpen ? '(' : '['}${lo}, ${hi}${highOpen ? ')' : ']'}`;
    throw new UsageError(`${flag} must be a number${range}, got ${JSON.stringify(v)}`);
  }
  return x;
}

/** One character; "\t" and "tab" mean a tab. */
export function delimiter(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const d = v === '\\t' || v === 'tab' ? '\t' : v;
  if (d.length !== 1 || d === '\n' || d === '\r' || d === '"') {
    throw new UsageError(`--delimiter must be one character other than a quote or line break (or "tab"), got ${JSON.stringify(v)}`);
  }
  return d;
}

/** A message on one line: JSON.parse, for one, quotes the text it read, line breaks and all. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}

/** Writes a --json report: indented, newline-terminated, atomically (complete or not at all). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Column flags (each a header name or a 0-based index) given blank: a usage error naming the flag. */
export function columnFlags(values: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const v = values[name];
    if (typeof v === 'string' && v.trim() === '') throw new UsageError(`--${name} needs a column name or a 0-based index, got ${JSON.stringify(v)}`);
  }
}

/** --columns A,B,...: column names or indices, none of them blank. */
export function columnList(flag: string, v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const out = v.split(',').map((c) => c.trim());
  if (out.some((c) => c === '')) throw new UsageError(`${flag} needs comma-separated column names or indices, got ${JSON.stringify(v)}`);
  return out;
}

/** --header (default) or --no-header; both given is a usage error. */
export function headerFlag(o: { header?: boolean; 'no-header'?: boolean }): boolean {
  if (o.header && o['no-header']) throw new UsageError('give --header or --no-header, not both');
  return !o['no-header'];
}

/** The metric keys of --json output; an AUC that is undefined (one class) becomes null. */
export function metricsJSON(m: ScoreMetrics): Record<keyof ScoreMetrics, number | null> {
  const v = (x: number) => (Number.isFinite(x) ? x : null);
  return { accuracy: m.accuracy, rocAuc: v(m.rocAuc), prAuc: v(m.prAuc), f1: m.f1, precision: m.precision, recall: m.recall };
}

/** Indented `name  value` lines. */
export function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

export function metricRows(m: ScoreMetrics): Array<[string, string]> {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a (one class only)');
  return [['accuracy', f(m.accuracy)], ['ROC AUC', f(m.rocAuc)], ['PR AUC', f(m.prAuc)], ['F1', f(m.f1)],
    ['precision', f(m.precision)], ['recall', f(m.recall)]];
}
