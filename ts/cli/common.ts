// What the `vigil` subcommands share: the streams they write to, the usage error (exit 2) and flag
// value parsers that turn a bad value into one.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
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

export function positiveInt(flag: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`${flag} must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** A number in [lo, hi). */
export function fraction(flag: string, v: string | undefined, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < lo || x >= hi) throw new UsageError(`${flag} must be a number in [${lo}, ${hi}), got ${JSON.stringify(v)}`);
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

export function fileFlag(flag: string, v: string | undefined, required: boolean): string | undefined {
  if (v === undefined) {
    if (required) throw new UsageError(`${flag} FILE is required`);
    return undefined;
  }
  if (v === '') throw new UsageError(`${flag} needs a file name`);
  return v;
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
