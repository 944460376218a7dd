// Results files in NAB's layout, so NAB and vigil can score each other's output:
// <results>/<detector>/<category>/<detector>_<series>.csv with columns timestamp, value,
// anomaly_score, label (and S(t)_<profile> once scored), <detector>_<profile>_scores.csv per
// profile and final_results.json ({ detector: { profile: normalized score } }).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FileWriteError, writeFileAtomicSync } from '../io/atomic.ts';
import { csvRecords, DataFormatError } from '../models/preprocessing/csv.ts';
import { readDataText } from '../models/datasets.ts';
import type { LoadAsyncOptions } from '../models/datasets.ts';
import { knownAsyncOptions, knownOptions, optionNames } from '../models/options.ts';
import { offThread, withoutSignal } from '../offthread/call.ts';
import { nabLabels, NabError } from './corpus.ts';
import type { NabCorpus, NabSeries } from './corpus.ts';
import { seriesScores } from './score.ts';
import type { NabReport, NabScores } from './score.ts';
import { nabRowScores, NO_DETECTION_THRESHOLD } from './sweep.ts';
import { parseNabTime } from './time.ts';

const RESULT_ERRORS = [NabError, DataFormatError, FileWriteError];

/** Detector names may not hold '_': NAB splits results file names on it to find the detector. */
const DETECTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function checkDetector(fn: string, detector: string): void {
  if (typeof detector !== 'string' || !DETECTOR_NAME.test(detector)) {
    throw new RangeError(`${fn}: detector must be letters, digits, '.' or '-' (NAB splits file names on '_'), got ${JSON.stringify(detector)}`);
  }
}

/** One results file's anomaly scores, checked row for row against the series' timestamps. */
export function readNabResultsFile(path: string, series: Pick<NabSeries, 'key' | 'timestamps' | 'times'>): Float64Array {
  const text = readDataText(path, 'readNabResultsFile');
  const n = series.timestamps.length;
  const out = new Float64Array(n);
  let tCol = -1;
  let sCol = -1;
  let row = 0;
  for (const { fields, line } of csvRecords(text, { source: path })) {
    if (tCol < 0) {
      const names = fields.map((f) => f.trim());
      tCol = names.indexOf('timestamp');
      sCol = names.indexOf('anomaly_score');
      if (tCol < 0 || sCol < 0) throw new DataFormatError(path, line, `expected a header with columns timestamp and anomaly_score, got ${fields.join(',')}`);
      continue;
    }
    if (row >= n) throw new DataFormatError(path, line, `more rows than the ${n} of ${series.key}`);
    if (fields.length <= Math.max(tCol, sCol)) throw new DataFormatError(path, line, `expected at least ${Math.max(tCol, sCol) + 1} fields, got ${fields.length}`);
    const text = fields[tCol].trim();
    // The same text as the data file's is the same time; parse only what differs (e.g. `.000000`).
    if (text !== series.times[row] && parseNabTime(text) !== series.timestamps[row]) {
      throw new DataFormatError(path, line, `timestamp ${JSON.stringify(fields[tCol])} is not row ${row} of ${series.key} (${series.times[row]})`);
    }
    const raw = fields[sCol].trim();
    const v = raw === '' ? NaN : Number(raw);
    if (!(v > -Infinity && v < NO_DETECTION_THRESHOLD)) {
      throw new DataFormatError(path, line, `anomaly_score must be a finite number below 1.1 (NAB asks for [0, 1]), got ${JSON.stringify(fields[sCol])}`);
    }
    out[row++] = v;
  }
  if (tCol < 0) throw new DataFormatError(path, 1, 'the file is empty');
  if (row < n) throw new DataFormatError(path, row + 2, `${row} rows, but ${series.key} has ${n}`);
  return out;
}

function findFile(dir: string, detector: string, s: NabSeries): string | null {
  const base = join(dir, s.category, `${detector}_${s.name}.csv`);
  if (existsSync(base)) return base;
  return existsSync(`${base}.gz`) ? `${base}.gz` : null;
}

export interface ReadNabResultsOptions {
  /** Read only this detector (default: every detector folder found). */
  detector?: string;
}

const READ_OPTIONS = optionNames<ReadNabResultsOptions>()(['detector']);

/**
 * Reads NAB results for the corpus' series: `dir` is either a results root holding one folder per
 * detector, or one detector's folder (named after the detector, holding category folders). Files
 * for series outside the corpus are ignored, so NAB's full results score against the bundled 16
 * series; a corpus series without a file is an error. Returns detector -> series key -> scores.
 */
export function readNabResults(dir: string, corpus: NabCorpus, options: ReadNabResultsOptions = {}): Map<string, Map<string, Float64Array>> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`readNabResults: dir must be a non-empty string, got ${String(dir)}`);
  knownOptions('readNabResults', options, READ_OPTIONS);
  if (!isDir(dir)) throw new NabError(`results folder not found: ${dir}`);
  const categories = new Set(corpus.series.map((s) => s.category));
  const single = readdirSync(dir).some((f) => categories.has(f) && isDir(join(dir, f)));
  let folders: Array<[string, string]> = single
    ? [[basename(dir.replace(/[/\\]+$/, '')), dir]]
    : readdirSync(dir).sort().filter((f) => !f.startsWith('.') && isDir(join(dir, f))).map((f) => [f, join(dir, f)]);
  if (options.detector !== undefined) {
    folders = folders.filter(([name]) => name === options.detector);
    if (folders.length === 0) throw new NabError(`no results folder for detector ${JSON.stringify(options.detector)} in ${dir}`);
  }
  const out = new Map<string, Map<string, Float64Array>>();
  for (const [detector, folder] of folders) {
    const found = corpus.series.map((s) => findFile(folder, detector, s));
    // A folder with no file for any corpus series is not a detector of this corpus (e.g. NAB's data/).
    if (!single && options.detector === undefined && found.every((f) => f === null)) continue;
    const missing = corpus.series.filter((_, k) => found[k] === null).map((s) => `${s.category}/${detector}_${s.name}.csv`);
    if (missing.length) {
      throw new NabError(`${folder}: no results for ${missing.length} of the corpus' ${corpus.series.length} series: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`);
    }
    out.set(detector, new Map(corpus.series.map((s, k) => [s.key, readNabResultsFile(found[k]!, s)])));
  }
  if (out.size === 0) throw new NabError(`${dir} holds no results in NAB's layout (<detector>/<category>/<detector>_<series>.csv) for this corpus`);
  return out;
}

/** NAB's final_results.json: { detector: { profile: normalized score } }, other detectors kept. */
export function nabFinalResults(detector: string, report: NabReport): Record<string, Record<string, number | null>> {
  return { [detector]: Object.fromEntries(Object.entries(report.profiles).map(([p, r]) => [p, r.normalized])) };
}

/**
 * Writes a detector's scores in NAB's layout under `dir` (a results root). With a report (from
 * scoreNab on the same scores) it also writes the S(t)_<profile> columns (NAB's per-row sweep
 * scores), <detector>_<profile>_scores.csv and merges final_results.json. Returns the files written.
 */
export function writeNabResults(dir: string, detector: string, corpus: NabCorpus, scores: NabScores, report?: NabReport): string[] {
  checkDetector('writeNabResults', detector);
  // Checked as scoreNab checks them, all before the first file is written: a NaN or 1.1 written
  // out would make a results folder that readNabResults (and NAB) refuse.
  const all = seriesScores('writeNabResults', corpus, scores);
  const written: string[] = [];
  const profiles = report ? Object.values(report.profiles) : [];
  for (const [k, s] of corpus.series.entries()) {
    const a = all[k];
    const labels = nabLabels(s);
    const st = profiles.map((p) => nabRowScores(s.timestamps.length, s.windows, p.weights, report!.probationPercent).sweep);
    const lines = [['timestamp', 'value', 'anomaly_score', 'label', ...profiles.map((p) => `S(t)_${p.profile}`)].join(',')];
    for (let i = 0; i < a.length; i++) {
      lines.push([s.times[i], String(s.values[i]), String(a[i]), String(labels[i]), ...st.map((c) => String(c[i]))].join(','));
    }
    const folder = join(dir, detector, s.category);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${detector}_${s.name}.csv`);
    writeFileAtomicSync(path, `${lines.join('\n')}\n`);
    written.push(path);
  }
  if (!report) return written;
  for (const p of profiles) {
    const lines = ['Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count'];
    for (const s of p.series) {
      lines.push([detector, p.profile, s.key, p.threshold, s.raw, s.tp, s.tn, s.fp, s.fn, s.tp + s.tn + s.fp + s.fn].join(','));
    }
    lines.push(['Totals', '', '', '', p.raw, p.tp, p.tn, p.fp, p.fn, p.tp + p.tn + p.fp + p.fn].join(','));
    const path = join(dir, detector, `${detector}_${p.profile}_scores.csv`);
    writeFileAtomicSync(path, `${lines.join('\n')}\n`);
    written.push(path);
  }
  const finalPath = join(dir, 'final_results.json');
  let final: Record<string, unknown> = {};
  if (existsSync(finalPath)) {
    try {
      final = JSON.parse(readFileSync(finalPath, 'utf8'));
    } catch (err) {
      throw new NabError(`${finalPath} is not valid JSON (${(err as Error).message}); not overwriting it`);
    }
    if (final === null || typeof final !== 'object' || Array.isArray(final)) throw new NabError(`${finalPath} is not a JSON object; not overwriting it`);
  }
  Object.assign(final, nabFinalResults(detector, report));
  const sorted = Object.fromEntries(Object.keys(final).sort().map((k) => [k, final[k]]));
  writeFileAtomicSync(finalPath, `${JSON.stringify(sorted, null, 4)}\n`);
  written.push(finalPath);
  return written;
}

/** readNabResults on a worker thread: the same scores (moved, not copied), and the same errors as rejections. */
export async function readNabResultsAsync(
  dir: string, corpus: NabCorpus, options: ReadNabResultsOptions & LoadAsyncOptions = {},
): Promise<Map<string, Map<string, Float64Array>>> {
  knownAsyncOptions('readNabResultsAsync', options, READ_OPTIONS);
  return offThread(import.meta.url, 'readNabResults', [dir, corpus, withoutSignal(options)], { signal: options?.signal, errors: RESULT_ERRORS });
}

/**
 * writeNabResults on a worker thread: the same files, and the same errors as rejections. It takes
 * no AbortSignal: stopping between two files would leave a results folder half old, half new.
 */
export function writeNabResultsAsync(dir: string, detector: string, corpus: NabCorpus, scores: NabScores, report?: NabReport): Promise<string[]> {
  return offThread(import.meta.url, 'writeNabResults', [dir, detector, corpus, scores, report], { errors: RESULT_ERRORS });
}
