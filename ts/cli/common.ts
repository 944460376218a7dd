// What the `vigil` subcommands share: the streams they write to, the usage error (exit 2), flag
// value parsers that turn a bad value into one, the checks of the files and folders flags name
// (made before any work starts, so a typo costs nothing) and the one writer of --json reports.
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { writeFileAtomic } from '../io/atomic.ts';
import { MAGIC, ModelFileError } from '../models/serialize.ts';
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

/** A finite number in [lo, hi], or (lo, hi] when `lowOpen` (either end left out: unbounded). */
export function finiteNumber(flag: string, v: string | undefined, lo = -Infinity, hi = Infinity, lowOpen = false): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < lo || (lowOpen && x === lo) || x > hi) {
    const range = lo === -Infinity && hi === Infinity ? '' : lo === -Infinity ? ` <= ${hi}` : hi === Infinity ? ` ${lowOpen ? '>' : '>='} ${lo}`
      : ` in ${lowOpen ? '(' : '['}${lo}, ${hi}]`;
    throw new UsageError(`${flag} must be a number${range}, got ${JSON.stringify(v)}`);
  }
  return x;
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

/** A readable file a flag names that is missing, a folder, empty or of the wrong kind: exit 1, one line. */
export class InputFileError extends Error {
  constructor(flag: string, path: string, why: string, cause?: unknown) {
    super(`${flag} ${path}: ${why}`, cause === undefined ? undefined : { cause });
    this.name = 'InputFileError';
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The first bytes of a file (fewer when it is shorter). */
function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The file an input flag names, checked before any work: it exists, is not a folder, can be read
 * and is not empty. `text` input (CSV, JSON lines, text lines; gzipped or not) must also not be a
 * vigil model file or other binary file, the usual mix-up of two file flags, and `onnx` input not a
 * vigil model file. Pipes and devices (/dev/stdin, <(zcat ...)) pass unread.
 */
export function inputFile(flag: string, v: string | undefined, required: boolean, kind: 'text' | 'onnx' | 'binary'): string | undefined {
  const path = fileFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (!st) throw new InputFileError(flag, path, 'no such file');
  if (st.isDirectory()) throw new InputFileError(flag, path, 'is a folder, not a file');
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new InputFileError(flag, path, 'cannot be read (permission denied)', err);
  }
  if (!st.isFile()) return path;
  if (st.size === 0) throw new InputFileError(flag, path, 'is empty');
  if (kind === 'binary') return path;
  const b = head(path, 4096);
  const vigilModel = b.subarray(0, MAGIC.length).toString('latin1') === MAGIC;
  if (kind === 'onnx' && vigilModel) throw new InputFileError(flag, path, 'is a vigil model file, not an ONNX file (vigil export writes one from it)');
  if (kind === 'text') {
    const gzip = b[0] === 0x1f && b[1] === 0x8b;
    if (vigilModel) throw new InputFileError(flag, path, 'is a vigil model file, not a data file');
    if (!gzip && b.includes(0)) throw new InputFileError(flag, path, 'is a binary file, not text (CSV, JSON lines or text lines)');
  }
  return path;
}

/**
 * `read()` of the model file `flag` names, with the file's own problems (not a model file, corrupted,
 * from a newer vigil) reported as `flag path: why`.
 */
export async function readModelFlag<T>(flag: string, path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ModelFileError && err.path === path) throw new InputFileError(flag, path, err.detail, err);
    throw err;
  }
}

/** The folder an input flag names: it exists and is a folder. */
export function inputDir(flag: string, v: string | undefined, required: boolean): string | undefined {
  const path = dirFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (!st) throw new InputFileError(flag, path, 'no such folder');
  if (!st.isDirectory()) throw new InputFileError(flag, path, 'is a file, not a folder');
  return path;
}

function dirFlag(flag: string, v: string | undefined, required: boolean): string | undefined {
  if (v === undefined) {
    if (required) throw new UsageError(`${flag} DIR is required`);
    return undefined;
  }
  if (v === '') throw new UsageError(`${flag} needs a folder name`);
  return v;
}

/** Usage errors for a place to write `path` into: its folder must exist and take new files. */
function checkParent(flag: string, path: string): void {
  const parent = dirname(resolve(path));
  const st = statOrNull(parent);
  if (!st) throw new UsageError(`${flag} ${path}: the folder ${parent} does not exist`);
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: ${parent} is not a folder`);
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: no permission to write in ${parent}`);
  }
}

/**
 * The file an output flag names, checked before any work (a long training run must not end in "no
 * such folder"): not a folder, and in an existing folder that takes new files. An existing file is
 * replaced atomically when the command is done.
 */
export function outputFile(flag: string, v: string | undefined, required: boolean): string | undefined {
  const path = fileFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (st?.isDirectory()) throw new UsageError(`${flag} ${path} is a folder; give a file name`);
  // A device or pipe (/dev/stdout) is written in place; a file goes in beside it and is renamed.
  if (!st || st.isFile()) checkParent(flag, path);
  return path;
}

/** The folder an output flag names: an existing folder, or a new one in an existing folder. */
export function outputDir(flag: string, v: string | undefined, required: boolean): string | undefined {
  const path = dirFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (st && !st.isDirectory()) throw new UsageError(`${flag} ${path} is a file, not a folder`);
  if (!st) checkParent(flag, path);
  return path;
}

/** A file's identity: device and inode when it exists (links and other spellings agree), else its absolute path. */
function fileKey(path: string): string | null {
  const st = statOrNull(path);
  if (!st) return resolve(path);
  // Devices and pipes (/dev/stdout) may be named twice: nothing is replaced.
  return st.isFile() ? `${st.dev}:${st.ino}` : null;
}

/**
 * Refuses a command line that names one file twice where one of the two is written: `--model
 * data.csv` would replace the training data with the model once training is done, `--json` over
 * `--model` the model with its report.
 */
export function distinctFiles(outputs: Array<[flag: string, path: string | undefined]>, inputs: Array<[flag: string, path: string | undefined]>): void {
  const taken: Array<[string, string]> = [];
  for (const [flag, path] of inputs) {
    const key = path === undefined ? null : fileKey(path);
    if (key !== null) taken.push([flag, key]);
  }
  for (const [flag, path] of outputs) {
    const key = path === undefined ? null : fileKey(path);
    if (key === null) continue;
    const other = taken.find(([, k]) => k === key);
    if (other) throw new UsageError(`${flag} ${path} is the file ${other[0]} names too; writing it would replace that file`);
    taken.push([flag, key]);
  }
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
