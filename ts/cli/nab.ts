// `vigil nab score`: rescore anomaly scores saved in NAB's results layout with NAB's scorer.
import { readFileSync } from 'node:fs';
import { BUNDLED_NAB, loadNabCorpusAsync, NabError } from '../nab/corpus.ts';
import { readNabResultsAsync } from '../nab/results.ts';
import { scoreNab } from '../nab/score.ts';
import type { NabProfileScore, NabReport } from '../nab/score.ts';
import { finiteNumber, oneLine, parseFlags, UsageError, writeJson } from './common.ts';
import { distinctFiles, inputDir, inputFile, outputFile } from './paths.ts';
import type { Io } from './common.ts';

export const NAB_USAGE = `usage: vigil nab score --results DIR [options]

  Scores detectors' anomaly scores with the Numenta Anomaly Benchmark's scorer: per profile the
  threshold that maximises the summed raw score over all series (NAB's optimizer), each series' raw
  score at it, and the NAB score 100 * (raw - null) / (perfect - null).

  --results DIR        NAB results: DIR/<detector>/<category>/<detector>_<series>.csv (or .csv.gz),
                       or one detector's folder; columns timestamp and anomaly_score are read
  --data DIR           a NAB folder (data/, labels/combined_windows.json, config/profiles.json);
                       default: the bundled data/nab (16 of NAB's 58 series)
  --detector NAME      score only this detector
  --profile NAME       score only this profile (repeat for more; default: all of the data's)
  --threshold X        use threshold X for every profile instead of sweeping
  --thresholds FILE    use NAB's config/thresholds.json thresholds ({ detector: { profile: { threshold } } })
  --probation P        share of each series left unscored (default 0.15, NAB's)
  --allow-unordered-times
                       accept series rows whose time repeats or goes back (8 of NAB's 58 files
                       have them), scoring by row position as NAB does; default: an error
  --json FILE          write { data, results, detectors: { <name>: report } } with every number

  Scores of a subset of NAB's series are not comparable with NAB's published scoreboard, which
  sweeps and normalises over all 58 series.`;

type Thresholds = Record<string, Record<string, { threshold?: unknown }>>;

function readThresholds(path: string): Thresholds {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new NabError(`--thresholds ${path}: ${oneLine((err as Error).message)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new NabError(`--thresholds ${path}: expected { detector: { profile: { threshold } } }`);
  return raw as Thresholds;
}

function thresholdsFor(t: Thresholds, file: string, detector: string, profiles: string[]): Record<string, number> {
  const entry = Object.hasOwn(t, detector) ? t[detector] : undefined;
  if (!entry || typeof entry !== 'object') throw new NabError(`--thresholds ${file} has no entry for detector ${detector}`);
  return Object.fromEntries(profiles.map((p) => {
    const v = Object.hasOwn(entry, p) ? entry[p]?.threshold : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new NabError(`--thresholds ${file}: ${detector}.${p}.threshold must be a number, got ${JSON.stringify(v)}`);
    return [p, v];
  }));
}

/** Left-aligned first column, right-aligned others. */
function grid(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

const num = (x: number | null, digits = 4) => (x === null ? 'n/a' : x.toFixed(digits));

function profileRows(report: NabReport): string[][] {
  const rows = [['profile', 'threshold', 'score', 'raw', 'null', 'perfect', 'windows', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1']];
  for (const p of Object.values(report.profiles)) {
    rows.push([
      p.profile, `${Number(p.threshold.toPrecision(6))} (${p.thresholdSource})`, num(p.normalized, 2), num(p.raw), num(p.nullRaw, 2),
      num(p.perfect, 2), `${p.windowsDetected}/${p.windows}`, String(p.tp), String(p.fp), String(p.fn), num(p.precision), num(p.recall), num(p.f1),
    ]);
  }
  return rows;
}

/** Per series: each profile's raw score and its windows detected / labelled. */
function seriesRows(report: NabReport): string[][] {
  const profiles: NabProfileScore[] = Object.values(report.profiles);
  const rows = [['series: raw score (windows detected/labelled)', 'rows', ...profiles.map((p) => p.profile)]];
  profiles[0].series.forEach((s, k) => {
    rows.push([s.key, String(s.rows), ...profiles.map((p) => `${num(p.series[k].raw)} (${p.series[k].windowsDetected}/${s.windows.length})`)]);
  });
  return rows;
}

async function scoreSub(args: string[], io: Io): Promise<number> {
  const parsed = parseFlags({
    args,
    strict: true,
    options: {
      results: { type: 'string' },
      data: { type: 'string' },
      detector: { type: 'string' },
      profile: { type: 'string', multiple: true },
      threshold: { type: 'string' },
      thresholds: { type: 'string' },
      probation: { type: 'string' },
      'allow-unordered-times': { type: 'boolean' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const o = parsed.values;
  if (o.help) {
    io.stdout.write(`${NAB_USAGE}\n`);
    return 0;
  }
  if (o.detector !== undefined && o.detector === '') throw new UsageError('--detector needs a name');
  if (o.threshold !== undefined && o.thresholds !== undefined) throw new UsageError('give --threshold or --thresholds, not both');
  const threshold = finiteNumber('--threshold', o.threshold);
  const probationPercent = finiteNumber('--probation', o.probation, 0, 1, 'high');
  const json = outputFile('--json', o.json, false);
  const resultsDir = inputDir('--results', o.results, true)!;
  const dataDir = inputDir('--data', o.data, false) ?? BUNDLED_NAB;
  const thresholdsFile = inputFile('--thresholds', o.thresholds, false, 'text');
  distinctFiles([['--json', json]], [['--thresholds', thresholdsFile]]);

  const corpus = await loadNabCorpusAsync(dataDir, { allowUnorderedTimes: o['allow-unordered-times'] === true });
  const profiles = o.profile ?? Object.keys(corpus.profiles);
  for (const p of profiles) {
    if (!Object.hasOwn(corpus.profiles, p)) throw new UsageError(`unknown --profile ${JSON.stringify(p)}; the data has ${Object.keys(corpus.profiles).join(', ')}`);
  }
  const tfile = thresholdsFile === undefined ? null : readThresholds(thresholdsFile);
  const detectors = await readNabResultsAsync(resultsDir, corpus, { detector: o.detector });
  const windows = corpus.series.reduce((a, s) => a + s.windows.length, 0);
  const unordered = corpus.series.filter((s) => s.unorderedLines.length).map((s) => `${s.key} (${s.unorderedLines.length})`);
  const reports: Record<string, NabReport> = {};
  for (const [name, scores] of detectors) {
    const t = tfile ? thresholdsFor(tfile, thresholdsFile!, name, profiles) : threshold;
    const report = scoreNab(corpus, scores, { profiles, threshold: t, probationPercent });
    reports[name] = report;
    io.stdout.write(`${name}: ${report.series} series, ${report.rows} rows, ${windows} windows (data: ${dataDir})\n`);
    if (unordered.length) io.stdout.write(`  rows whose time repeats or goes back (kept, as NAB keeps them): ${unordered.join(', ')}\n`);
    io.stdout.write(`${grid(profileRows(report))}\n\n${grid(seriesRows(report))}\n\n`);
  }
  if (json !== undefined) {
    const out = { data: dataDir, results: resultsDir, detectors: reports };
    await writeJson(json, out);
  }
  return 0;
}

export async function nabCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '-h' || sub === '--help') {
    io.stdout.write(`${NAB_USAGE}\n`);
    return 0;
  }
  if (sub === 'score') return scoreSub(rest, io);
  throw new UsageError(sub === undefined ? 'vigil nab needs a subcommand: score' : `unknown nab subcommand ${JSON.stringify(sub)}; try: vigil nab score`);
}
