// Reads a folder in the Numenta Anomaly Benchmark's layout: data/<category>/<series>.csv (gzipped or
// not), labels/combined_windows.json and, when present, config/profiles.json. Each window becomes
// an inclusive range of row indices, because NAB scores by row position, not by time.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, join } from 'node:path';
import { csvRecords, DataFormatError } from '../models/preprocessing/csv.ts';
import { missingDataError, readDataText } from '../models/datasets.ts';
import type { LoadAsyncOptions } from '../models/datasets.ts';
import { knownAsyncOptions, knownOptions, optionNames } from '../models/options.ts';
import { offThread, withoutSignal } from '../offthread/call.ts';
import { parseNabTime } from './time.ts';

/** The NAB corpus bundled in data/nab (16 of NAB's 58 series; see data/nab/README.md). */
export const BUNDLED_NAB = fileURLToPath(new URL('../../data/nab/', import.meta.url));

/** A problem with a NAB folder that is not one line of one CSV (those are DataFormatErrors). */
export class NabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NabError';
  }
}

/** One profile's weights (NAB's CostMatrix; tnWeight is read but NAB never uses it). */
export interface NabCostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
  tnWeight: number;
}

/** NAB's three application profiles (config/profiles.json at NAB's commit ea702d7). */
export const NAB_PROFILES: Readonly<Record<string, Readonly<NabCostMatrix>>> = Object.freeze({
  standard: Object.freeze({ tpWeight: 1, fnWeight: 1, fpWeight: 0.11, tnWeight: 1 }),
  reward_low_FP_rate: Object.freeze({ tpWeight: 1, fnWeight: 1, fpWeight: 0.22, tnWeight: 1 }),
  reward_low_FN_rate: Object.freeze({ tpWeight: 1, fnWeight: 2, fpWeight: 0.11, tnWeight: 1 }),
});

/** A labelled anomaly window: rows start..end, both inclusive, and the label file's timestamps. */
export interface NabWindow {
  start: number;
  end: number;
  startTime: string;
  endTime: string;
}

export interface NabSeries {
  /** `<category>/<series>.csv`, the key NAB's label files use (also for a gzipped file). */
  key: string;
  category: string;
  /** File name without `.csv` (and `.gz`). */
  name: string;
  path: string;
  /** Row times in ms since the epoch; NAB's timestamps carry no zone and are read as UTC. */
  timestamps: Float64Array;
  /** Row times as written in the file (results files repeat them). */
  times: string[];
  values: Float64Array;
  /** Sorted, disjoint. */
  windows: NabWindow[];
  /**
   * File lines (1-based) whose time is not after the previous row's; always empty unless
   * allowUnorderedTimes was given (8 of NAB's 58 files have such rows, e.g. clock changes).
   */
  unorderedLines: number[];
}

export interface NabCorpus {
  dir: string;
  series: NabSeries[];
  profiles: Record<string, NabCostMatrix>;
  windowsFile: string;
  /** null when the built-in NAB_PROFILES were used. */
  profilesFile: string | null;
}

export interface LoadNabOptions {
  /** Windows file, relative to dir or absolute (default labels/combined_windows.json). */
  windowsFile?: string;
  /** Profiles file, relative to dir or absolute (default config/profiles.json when it exists, else NAB_PROFILES). */
  profilesFile?: string;
  /**
   * Accept rows whose time repeats or goes back, as NAB does (it scores by row position), listing
   * them in `unorderedLines`; a window edge at a repeated time is still an error. Default false:
   * such a row is a DataFormatError.
   */
  allowUnorderedTimes?: boolean;
}

const LOAD_OPTIONS = optionNames<LoadNabOptions>()(['windowsFile', 'profilesFile', 'allowUnorderedTimes']);

const SERIES_FILE = /^(.+)\.csv(\.gz)?$/;

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new NabError(`${what} not found: ${path}`);
  try {
    return JSON.parse(readDataText(path, what));
  } catch (err) {
    throw new NabError(`${what} ${path} is not valid JSON (${(err as Error).message})`);
  }
}

const UNORDERED_HINT = 'allowUnorderedTimes (vigil nab score --allow-unordered-times) accepts such rows and scores by row position, as NAB does';

/**
 * Reads one series file: a header with `timestamp` and `value`, rows strictly increasing in time
 * (unless allowUnordered, which records the lines that are not).
 */
export function readNabSeries(path: string, key: string, allowUnordered = false): Omit<NabSeries, 'windows'> {
  const m = /^([^/]+)\/(.+)\.csv$/.exec(key);
  if (!m) throw new NabError(`series key must look like <category>/<name>.csv, got ${JSON.stringify(key)}`);
  const text = readDataText(path, 'readNabSeries');
  let tCol = -1;
  let vCol = -1;
  const times: string[] = [];
  const stamps: number[] = [];
  const values: number[] = [];
  let prevLine = 0;
  const unorderedLines: number[] = [];
  for (const { fields, line } of csvRecords(text, { source: path })) {
    if (tCol < 0) {
      const names = fields.map((f) => f.trim());
      tCol = names.indexOf('timestamp');
      vCol = names.indexOf('value');
      if (tCol < 0 || vCol < 0) throw new DataFormatError(path, line, `expected a header with columns timestamp and value, got ${fields.join(',')}`);
      continue;
    }
    if (fields.length <= Math.max(tCol, vCol)) {
      throw new DataFormatError(path, line, `expected at least ${Math.max(tCol, vCol) + 1} fields, got ${fields.length}`);
    }
    const t = parseNabTime(fields[tCol].trim());
    if (t === null) throw new DataFormatError(path, line, `timestamp must be YYYY-MM-DD HH:MM:SS, got ${JSON.stringify(fields[tCol])}`);
    const raw = fields[vCol].trim();
    const v = raw === '' ? NaN : Number(raw);
    if (!Number.isFinite(v)) throw new DataFormatError(path, line, `value must be a finite number, got ${JSON.stringify(fields[vCol])}`);
    const prev = stamps.length ? stamps[stamps.length - 1] : -Infinity;
    if (t <= prev && allowUnordered) unorderedLines.push(line);
    else if (t === prev) throw new DataFormatError(path, line, `duplicate timestamp ${fields[tCol].trim()} (also on line ${prevLine}); ${UNORDERED_HINT}`);
    else if (t < prev) throw new DataFormatError(path, line, `timestamp ${fields[tCol].trim()} is earlier than line ${prevLine}'s ${times[times.length - 1]}: rows must be sorted by time; ${UNORDERED_HINT}`);
    times.push(fields[tCol].trim());
    stamps.push(t);
    values.push(v);
    prevLine = line;
  }
  if (tCol < 0) throw new DataFormatError(path, 1, 'the file is empty');
  if (stamps.length === 0) throw new DataFormatError(path, 2, 'the file has a header but no rows');
  return {
    key, category: m[1], name: m[2], path, times, timestamps: Float64Array.from(stamps), values: Float64Array.from(values), unorderedLines,
  };
}

/** Turns one series' [start, end] timestamp pairs into row ranges, as NAB requires them: exact row times, sorted, disjoint. */
export function nabWindows(series: Pick<NabSeries, 'key' | 'timestamps'>, pairs: unknown, source: string): NabWindow[] {
  const where = `${source}: ${series.key}`;
  if (!Array.isArray(pairs)) throw new NabError(`${where}: expected a list of [start, end] pairs, got ${JSON.stringify(pairs)}`);
  // First row of each time, or -1 when the time repeats (only with allowUnorderedTimes).
  const index = new Map<number, number>();
  series.timestamps.forEach((t, i) => index.set(t, index.has(t) ? -1 : i));
  const windows: NabWindow[] = [];
  pairs.forEach((pair: unknown, k: number) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new NabError(`${where}: window ${k} must be a pair of timestamp strings, got ${JSON.stringify(pair)}`);
    }
    const [startTime, endTime] = pair as [string, string];
    const rows = [startTime, endTime].map((s) => {
      const t = parseNabTime(s);
      if (t === null) throw new NabError(`${where}: window ${k} has the malformed timestamp ${JSON.stringify(s)}`);
      const i = index.get(t);
      if (i === undefined) throw new NabError(`${where}: window ${k}'s timestamp ${s} is not a row of the series (NAB needs exact row times)`);
      if (i < 0) throw new NabError(`${where}: window ${k}'s timestamp ${s} is on more than one row, so the window's rows are ambiguous`);
      return i;
    });
    const [start, end] = rows;
    if (end < start) throw new NabError(`${where}: window ${k} ends (${endTime}) before it starts (${startTime})`);
    const prev = windows[windows.length - 1];
    if (prev && start <= prev.end) {
      throw new NabError(`${where}: window ${k} (${startTime}) starts at or before the end of window ${k - 1} (${prev.endTime}); windows must be sorted and disjoint`);
    }
    windows.push({ start, end, startTime, endTime });
  });
  return windows;
}

/** Checks a cost matrix { tpWeight > 0, fpWeight, fnWeight >= 0, tnWeight (optional, unused) } and copies it. */
export function checkCostMatrix(cm: unknown, where: string, Err: new (message: string) => Error = NabError): NabCostMatrix {
  if (cm === null || typeof cm !== 'object') {
    throw new (Err === NabError ? NabError : TypeError)(`${where}: expected { tpWeight, fpWeight, fnWeight, tnWeight }, got ${JSON.stringify(cm)}`);
  }
  const out = {} as NabCostMatrix;
  for (const k of ['tpWeight', 'fpWeight', 'fnWeight', 'tnWeight'] as const) {
    const v = (cm as Record<string, unknown>)[k];
    if (k === 'tnWeight' && v === undefined) {
      out[k] = 0;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Err(`${where}: ${k} must be a finite number >= 0, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  if (out.tpWeight === 0) throw new Err(`${where}: tpWeight must be > 0 (it scales the perfect score)`);
  return out;
}

/** Reads NAB's profiles file: { name: { CostMatrix: { tpWeight, fpWeight, fnWeight, tnWeight } } }. */
export function readNabProfiles(path: string): Record<string, NabCostMatrix> {
  const raw = readJson(path, 'profiles file');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
    throw new NabError(`profiles file ${path}: expected an object of profiles`);
  }
  const out: Record<string, NabCostMatrix> = {};
  for (const [name, p] of Object.entries(raw)) {
    out[name] = checkCostMatrix((p as { CostMatrix?: unknown } | null)?.CostMatrix, `profiles file ${path}: profile ${name}'s CostMatrix`);
  }
  return out;
}

function seriesFiles(dataDir: string): Array<{ key: string; path: string }> {
  const found = new Map<string, string>();
  for (const category of readdirSync(dataDir).sort()) {
    const catDir = join(dataDir, category);
    if (category.startsWith('.') || !isDir(catDir)) continue;
    for (const file of readdirSync(catDir).sort()) {
      const m = SERIES_FILE.exec(file);
      if (!m || file.startsWith('.')) continue;
      const key = `${category}/${m[1]}.csv`;
      const other = found.get(key);
      if (other !== undefined) throw new NabError(`${key} is there twice: ${other} and ${join(catDir, file)}`);
      found.set(key, join(catDir, file));
    }
  }
  return [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, path]) => ({ key, path }));
}

/**
 * Loads a NAB folder (a NAB checkout, or the bundled copy by default). Every series must have an
 * entry in the windows file; entries of series that are not there are ignored (the bundled file
 * lists all 58). Series are sorted by key.
 */
export function loadNabCorpus(dir: string = BUNDLED_NAB, options: LoadNabOptions = {}): NabCorpus {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`loadNabCorpus: dir must be a non-empty string, got ${String(dir)}`);
  knownOptions('loadNabCorpus', options, LOAD_OPTIONS);
  if (!isDir(dir)) throw new NabError(missingDataError('loadNabCorpus', dir)?.message ?? `NAB folder not found: ${dir}`);
  const at = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const dataDir = join(dir, 'data');
  if (!isDir(dataDir)) throw new NabError(`${dir} has no data/ folder (expected NAB's layout data/<category>/<series>.csv)`);
  const files = seriesFiles(dataDir);
  if (files.length === 0) throw new NabError(`${dataDir} holds no <category>/<series>.csv files`);

  const windowsFile = at(options.windowsFile ?? join('labels', 'combined_windows.json'));
  const allWindows = readJson(windowsFile, 'windows file');
  if (allWindows === null || typeof allWindows !== 'object' || Array.isArray(allWindows)) {
    throw new NabError(`windows file ${windowsFile}: expected an object mapping <category>/<series>.csv to windows`);
  }
  const series = files.map(({ key, path }) => {
    const s = readNabSeries(path, key, options.allowUnorderedTimes === true);
    if (!Object.hasOwn(allWindows, key)) throw new NabError(`${key} has no entry in the windows file ${windowsFile}`);
    return { ...s, windows: nabWindows(s, (allWindows as Record<string, unknown>)[key], windowsFile) };
  });

  let profilesFile: string | null = options.profilesFile === undefined ? null : at(options.profilesFile);
  if (profilesFile === null && existsSync(join(dir, 'config', 'profiles.json'))) profilesFile = join(dir, 'config', 'profiles.json');
  const profiles = profilesFile === null
    ? Object.fromEntries(Object.entries(NAB_PROFILES).map(([k, v]) => [k, { ...v }]))
    : readNabProfiles(profilesFile);
  return { dir, series, profiles, windowsFile, profilesFile };
}

/** loadNabCorpus on a worker thread: the same corpus (its arrays moved, not copied), and the same errors as rejections. */
export async function loadNabCorpusAsync(dir?: string, options: LoadNabOptions & LoadAsyncOptions = {}): Promise<NabCorpus> {
  knownAsyncOptions('loadNabCorpusAsync', options, LOAD_OPTIONS);
  return offThread(import.meta.url, 'loadNabCorpus', [dir, withoutSignal(options)], { signal: options?.signal, errors: [NabError, DataFormatError] });
}

/** NAB's label column: 1 for rows inside a window, else 0. */
export function nabLabels(series: Pick<NabSeries, 'timestamps' | 'windows'>): Uint8Array {
  const out = new Uint8Array(series.timestamps.length);
  for (const w of series.windows) out.fill(1, w.start, w.end + 1);
  return out;
}
