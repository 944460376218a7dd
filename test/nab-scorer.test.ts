// NAB's scoring rules on small series worked out by hand. The reference for the scaled sigmoid is
// its closed form 2 / (1 + e^(5x)) - 1 = -tanh(2.5x), not the code's expression.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bestThreshold, NAB_PROFILES, nabNormalize, nabRowScores, nabRowWindows, nabSweep, OUTSIDE_WINDOW, PROBATIONARY, probationaryLength,
  rowAtThreshold, scaledSigmoid, scoreNab, sweepThresholds,
} from '../ts/nab/index.ts';
import type { NabCorpus, NabCostMatrix, NabSeries } from '../ts/nab/index.ts';
import { throwsError } from './helpers/errors.ts';

const sigma = (x: number) => (x > 3 ? -1 : -Math.tanh(2.5 * x));
const maxTP = sigma(-1);
const close = (got: number, want: number, what: string, tol = 1e-12) =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);
const standard = NAB_PROFILES.standard;
const lowFP = NAB_PROFILES.reward_low_FP_rate;
const lowFN = NAB_PROFILES.reward_low_FN_rate;

/** A series of `rows` rows one minute apart with windows given as row ranges. */
function series(key: string, rows: number, windows: Array<[number, number]>): NabSeries {
  const t0 = Date.UTC(2020, 0, 1);
  const timestamps = Float64Array.from({ length: rows }, (_, i) => t0 + i * 60_000);
  const times = [...timestamps].map((t) => new Date(t).toISOString().replace('T', ' ').slice(0, 19));
  return {
    key, category: key.split('/')[0], name: key.split('/')[1].replace(/\.csv$/, ''), path: key, timestamps, times,
    values: new Float64Array(rows).fill(1), unorderedLines: [],
    windows: windows.map(([start, end]) => ({ start, end, startTime: times[start], endTime: times[end] })),
  };
}

function corpusOf(...s: NabSeries[]): NabCorpus {
  return { dir: '(memory)', series: s, profiles: { standard: { ...standard }, reward_low_FP_rate: { ...lowFP }, reward_low_FN_rate: { ...lowFN } }, windowsFile: '(memory)', profilesFile: null };
}

/** Scores 0 everywhere except 1 at the given rows. */
function detections(rows: number, at: number[]): Float64Array {
  const a = new Float64Array(rows);
  for (const i of at) a[i] = 1;
  return a;
}

// 100 rows: the first 15 are probationary; one window on rows 40..49 (10 wide).
const one = series('cat/one.csv', 100, [[40, 49]]);
const rawAt = (s: NabSeries, at: number[], profile = 'standard', threshold = 0.5) =>
  scoreNab(corpusOf(s), { [s.key]: detections(s.timestamps.length, at) }, { profiles: [profile], threshold }).profiles[profile];

test('scaledSigmoid: edges, midpoint, the cap past 3', () => {
  close(scaledSigmoid(-1), 2 / (1 + Math.exp(-5)) - 1, 'left edge');
  close(scaledSigmoid(-1), 0.9866142981514303, 'left edge value');
  close(scaledSigmoid(-0.5), 0.8482836399575131, 'midpoint');
  assert.is(scaledSigmoid(0), 0);
  close(scaledSigmoid(3), -Math.tanh(7.5), 'at 3');
  assert.is(scaledSigmoid(3.000001), -1);
  assert.is(scaledSigmoid(Infinity), -1);
  for (const x of [-0.9, -0.3, 0.2, 1, 2.5]) close(scaledSigmoid(x), sigma(x), `x=${x}`, 1e-15);
});

test('probationaryLength: 15% floored, capped at 0.15 * 5000 = 750', () => {
  assert.is(probationaryLength(100), 15);
  assert.is(probationaryLength(4032), 604);
  assert.is(probationaryLength(5000), 750);
  assert.is(probationaryLength(7267), 750);
  assert.is(probationaryLength(6000, 0.1), 500);
  assert.is(probationaryLength(100, 0), 0);
  assert.is(probationaryLength(100, 1), 100);
  // With the cap fractional (0.1001 * 5000 = 500.5), NAB's i >= length leaves row 500 unscored.
  const f = nabRowWindows(6000, [], 0.1001);
  assert.is(f[500], PROBATIONARY);
  assert.is(f[501], OUTSIDE_WINDOW);
  const w = nabRowWindows(100, one.windows);
  assert.is(w[14], PROBATIONARY);
  assert.is(w[15], OUTSIDE_WINDOW);
  assert.is(w[40], 0);
  assert.is(w[49], 0);
  assert.is(w[50], OUTSIDE_WINDOW);
});

test('a detection on the left edge earns tpWeight exactly; on the right edge sigma(-1/width)/sigma(-1)', () => {
  assert.is(rawAt(one, [40]).raw, 1);
  close(rawAt(one, [49]).raw, sigma(-0.1) / maxTP, 'right edge');
  close(rawAt(one, [44]).raw, sigma(-0.6) / maxTP, 'inside');
  // Only the earliest detection of a window counts.
  close(rawAt(one, [49, 44, 47]).raw, sigma(-0.6) / maxTP, 'several');
  const r = rawAt(one, [44, 47]);
  assert.equal([r.tp, r.fp, r.fn, r.tn], [2, 0, 8, 75]);
  assert.is(r.windowsDetected, 1);
  assert.equal(r.series[0].windows, [{ start: 40, end: 49, firstDetection: 44 }]);
});

test('a missed window costs -fnWeight; detections outside are weighted from the preceding window', () => {
  assert.is(rawAt(one, []).raw, -1);
  assert.is(rawAt(one, [], 'reward_low_FN_rate').raw, -2);
  // Row 50, just past the end: x = |49 - 50| / (10 - 1).
  close(rawAt(one, [50]).raw, -1 + 0.11 * sigma(1 / 9), 'just after');
  close(rawAt(one, [60], 'reward_low_FP_rate').raw, -1 + 0.22 * sigma(11 / 9), 'after, low FP');
  // x = 3 exactly is still on the curve; beyond it the penalty is the full -fpWeight.
  close(rawAt(one, [76]).raw, -1 + 0.11 * sigma(3), 'x = 3');
  close(rawAt(one, [77]).raw, -1 - 0.11, 'x > 3');
  close(rawAt(one, [90, 99]).raw, -1 - 0.22, 'two far away');
  // Before any window there is nothing to measure from: -fpWeight.
  close(rawAt(one, [20]).raw, -1 - 0.11, 'before the window');
  close(rawAt(one, [40, 50]).raw, 1 + 0.11 * sigma(1 / 9), 'hit and a false positive');
});

test('the probationary period: detections there count for nothing; a window cut by it keeps its width', () => {
  assert.is(rawAt(one, [3, 14]).raw, -1);
  const r = rawAt(one, [3, 14]);
  assert.equal([r.tp, r.fp, r.fn, r.tn], [0, 0, 10, 75]);
  // Window 10..19 with 15 probationary rows: row 12 is ignored, row 16 is scored at -(19 - 16 + 1) / 10.
  const cut = series('cat/cut.csv', 100, [[10, 19]]);
  assert.is(rawAt(cut, [12]).raw, -1);
  close(rawAt(cut, [12, 16]).raw, sigma(-0.4) / maxTP, 'cut window');
  // A window wholly inside the probationary period is neither a hit nor a miss, but NAB still
  // counts it in the perfect score (runner.normalize counts the windows file's entries).
  const early = series('cat/early.csv', 100, [[2, 8]]);
  const e = rawAt(early, [5]);
  assert.is(e.raw, 0);
  assert.is(e.perfect, 1);
  assert.is(e.nullRaw, 0);
  assert.is(e.normalized, 0);
});

test('a series without windows: every detection is a far false positive', () => {
  const none = series('cat/none.csv', 100, []);
  close(rawAt(none, [20, 50, 99]).raw, -0.33, 'three');
  assert.is(rawAt(none, []).raw, 0);
  const r = rawAt(none, [20, 50, 99]);
  assert.is(r.perfect, 0);
  assert.is(r.normalized, null);
  assert.is(r.precision, 0);
  assert.is(r.recall, 0);
  assert.is(r.f1, 0);
});

test('two windows: a false positive is measured from the one that ended last, not the nearest', () => {
  const two = series('cat/two.csv', 200, [[40, 49], [100, 119]]);
  // Row 95 is 5 rows before the second window but 46 after the first: x = 46 / 9 > 3.
  close(rawAt(two, [95]).raw, -2 - 0.11, 'before the second window');
  // Row 125: 6 rows past the second window (width 20): x = 6 / 19.
  close(rawAt(two, [125]).raw, -2 + 0.11 * sigma(6 / 19), 'after the second window');
  close(rawAt(two, [40, 100]).raw, 2, 'both left edges');
});

test('a preceding window one row wide: NAB divides by zero, vigil charges -fpWeight', () => {
  const thin = series('cat/thin.csv', 100, [[40, 40]]);
  close(rawAt(thin, [40, 41]).raw, 1 - 0.11, 'thin');
});

test('the sweep: rows per distinct score from 1.1 down, with NAB\'s counts', () => {
  const s = series('cat/one.csv', 100, [[40, 49]]);
  const a = new Float64Array(100);
  a[5] = 0.9; // probationary: never seen by the sweep
  a[20] = 0.8; // false positive before the window
  a[45] = 0.7;
  a[42] = 0.6;
  a[60] = 0.6; // shares a threshold with row 42
  const rs = nabRowScores(100, s.windows, standard);
  const rows = sweepThresholds({ anomaly: a, sweep: rs.sweep, window: rs.window, windows: 1 }, 1);
  assert.equal(rows.map((r) => r.threshold), [1.1, 0.8, 0.7, 0.6, 0]);
  assert.equal(rows.map((r) => [r.tp, r.tn, r.fp, r.fn]), [[0, 75, 0, 10], [0, 74, 1, 10], [1, 74, 1, 9], [2, 73, 2, 8], [10, 0, 75, 0]]);
  assert.ok(rows.every((r) => r.total === 85));
  close(rows[0].score, -1, '1.1');
  close(rows[1].score, -1 - 0.11, '0.8');
  close(rows[2].score, -0.11 + sigma(-0.5) / maxTP, '0.7');
  close(rows[3].score, -0.11 + sigma(-0.8) / maxTP + 0.11 * sigma(11 / 9), '0.6');
  // At 0: the window's best is its left edge (1); every outside row after probation adds its penalty.
  let fp = 0;
  for (let i = 15; i < 100; i++) if (i < 40) fp -= 0.11; else if (i > 49) fp += 0.11 * sigma((i - 49) / 9);
  close(rows[4].score, fp + 1, '0', 1e-12);
  // NAB's scoreDataSet picks the row of the threshold, or the last one above it.
  assert.is(rowAtThreshold(rows, 0.7), rows[2]);
  assert.is(rowAtThreshold(rows, 0.65), rows[2]);
  assert.is(rowAtThreshold(rows, 0.75), rows[1]);
  assert.is(rowAtThreshold(rows, 1.05), rows[0]);
  assert.is(rowAtThreshold(rows, 5), rows[0]);
  assert.is(rowAtThreshold(rows, -1), rows[4]);
  assert.is(bestThreshold(rows), rows[3]);
});

test('the optimizer breaks ties toward the higher threshold', () => {
  // Rows 42 (0.9) and 45 (0.8) are in the same window: lowering the threshold to 0.8 adds nothing.
  const a = new Float64Array(100);
  a[42] = 0.9;
  a[45] = 0.8;
  const c = corpusOf(one);
  const rows = nabSweep(c, { [one.key]: a }, standard);
  assert.is(rows[1].score, rows[2].score);
  const r = scoreNab(c, { [one.key]: a }, { profiles: ['standard'] }).profiles.standard;
  assert.is(r.threshold, 0.9);
  assert.is(r.thresholdSource, 'swept');
  close(r.sweptScore!, sigma(-0.8) / maxTP, 'swept score');
  close(r.raw, r.sweptScore!, 'raw at the swept threshold');
  // With nothing to find, the best threshold is NAB's starting 1.1: no detections.
  const none = series('cat/none.csv', 100, []);
  const n = scoreNab(corpusOf(none), { [none.key]: new Float64Array(100).fill(0.3) }).profiles.standard;
  assert.is(n.threshold, 1.1);
  assert.is(n.raw, 0);
});

test('the sweep is over the whole corpus: one threshold for all series', () => {
  // Series A wants 0.9 (its window is hit at 0.9); B's false positive sits at 0.95 and its hit at 0.5.
  const a = series('cat/a.csv', 100, [[40, 49]]);
  const b = series('cat/b.csv', 100, [[60, 69]]);
  const sa = new Float64Array(100);
  sa[40] = 0.9;
  const sb = new Float64Array(100);
  sb[20] = 0.95;
  sb[60] = 0.5;
  const r = scoreNab(corpusOf(a, b), { [a.key]: sa, [b.key]: sb }, { profiles: ['standard'] }).profiles.standard;
  // Candidates: 1.1 -> -2; 0.95 -> -2.11; 0.9 -> -1.11; 0.5 -> 0.89; 0 -> many false positives.
  assert.is(r.threshold, 0.5);
  close(r.raw, 2 - 0.11, 'raw');
  close(r.series[0].raw, 1, 'a');
  close(r.series[1].raw, 1 - 0.11, 'b');
  assert.is(r.windows, 2);
  assert.is(r.windowsDetected, 2);
});

test('normalisation: the null detector scores 0, a detector hitting every left edge 100', () => {
  const a = series('cat/a.csv', 100, [[40, 49]]);
  const b = series('cat/b.csv', 200, [[60, 69], [120, 139]]);
  const c = series('cat/c.csv', 100, []);
  const corpus = corpusOf(a, b, c);
  const perfect = { [a.key]: detections(100, [40]), [b.key]: detections(200, [60, 120]), [c.key]: detections(100, []) };
  const nul = { [a.key]: new Float64Array(100).fill(0.5), [b.key]: new Float64Array(200).fill(0.5), [c.key]: new Float64Array(100).fill(0.5) };
  for (const [name, cm] of Object.entries(corpus.profiles)) {
    const p = scoreNab(corpus, perfect).profiles[name];
    assert.is(p.perfect, 3 * cm.tpWeight);
    assert.is(p.nullRaw, -3 * cm.fnWeight);
    assert.is(p.nullThreshold, 1.1);
    close(p.normalized!, 100, `${name} perfect`);
    const n = scoreNab(corpus, nul).profiles[name];
    close(n.normalized!, 0, `${name} null`);
    assert.equal(p.series.map((s) => s.normalized), [100, 100, null]);
  }
  // One window hit at its left edge, two missed: 100 * (1 - 2 - -3) / (3 - -3) = 33.3 for standard.
  const third = scoreNab(corpus, { ...perfect, [b.key]: detections(200, []) }, { threshold: 0.5 });
  close(third.profiles.standard.normalized!, 100 / 3, 'one of three', 1e-12);
  assert.is(nabNormalize(0, -2, 2), 50);
  assert.is(nabNormalize(1, 1, 1), null);
});

test('point-wise precision, recall and F1 over window membership', () => {
  const r = rawAt(one, [20, 44, 45, 60]);
  assert.equal([r.tp, r.fp, r.fn, r.tn], [2, 2, 8, 73]);
  close(r.precision, 0.5, 'precision');
  close(r.recall, 0.2, 'recall');
  close(r.f1, (2 * 0.5 * 0.2) / 0.7, 'F1');
});

test('a fixed threshold per profile; the others are swept', () => {
  const a = new Float64Array(100);
  a[42] = 0.9;
  a[20] = 0.95;
  const r = scoreNab(corpusOf(one), { [one.key]: a }, { threshold: { standard: 0.92 } });
  assert.is(r.profiles.standard.threshold, 0.92);
  assert.is(r.profiles.standard.thresholdSource, 'given');
  assert.is(r.profiles.standard.sweptScore, null);
  close(r.profiles.standard.raw, -1 - 0.11, 'given');
  assert.is(r.profiles.reward_low_FP_rate.thresholdSource, 'swept');
  assert.is(r.profiles.reward_low_FP_rate.threshold, 0.9);
  assert.is(r.probationPercent, 0.15);
  assert.is(r.rows, 100);
  // A custom profile and probation share.
  const own: NabCostMatrix = { tpWeight: 2, fpWeight: 0.5, fnWeight: 3, tnWeight: 0 };
  const o = scoreNab(corpusOf(one), { [one.key]: detections(100, [10, 41]) }, { profiles: { own }, threshold: 0.5, probationPercent: 0.05 }).profiles.own;
  // 5 probationary rows: row 10 is a false positive before the window.
  close(o.raw, (2 * sigma(-0.9)) / maxTP - 0.5, 'custom');
  assert.is(o.perfect, 2);
  assert.is(o.nullRaw, -3);
});

test('scoreNab rejects bad arguments, naming them', () => {
  const c = corpusOf(one);
  const ok = { [one.key]: new Float64Array(100) };
  throwsError(() => scoreNab(null as unknown as NabCorpus, ok), TypeError, /corpus/);
  throwsError(() => scoreNab(c, null as unknown as Record<string, Float64Array>), TypeError, /scores/);
  throwsError(() => scoreNab(c, {}), RangeError, /no entry for cat\/one\.csv/);
  throwsError(() => scoreNab(c, { ...ok, 'cat/other.csv': new Float64Array(3) }), RangeError, /lacks: cat\/other\.csv/);
  throwsError(() => scoreNab(c, { [one.key]: new Float64Array(99) }), RangeError, /99 values, expected 100/);
  throwsError(() => scoreNab(c, { [one.key]: 'x'.repeat(100) as unknown as number[] }), TypeError, /array/);
  for (const bad of [NaN, 1.1, 1.5, Infinity, -Infinity]) {
    const a = new Float64Array(100);
    a[37] = bad;
    throwsError(() => scoreNab(c, { [one.key]: a }), RangeError, /\[37\] must be a finite number below 1\.1/);
  }
  // Slightly outside [0, 1], as NAB's published expose results are: scored as NAB scores them.
  const stray = detections(100, [40]);
  stray[40] = 1.01;
  stray[60] = -0.008;
  const sr = scoreNab(c, { [one.key]: stray }).profiles.standard;
  assert.is(sr.threshold, 1.01);
  assert.is(sr.raw, 1);
  throwsError(() => scoreNab(c, ok, { profiles: ['nope'] }), RangeError, /unknown profile "nope"/);
  throwsError(() => scoreNab(c, ok, { profiles: [] }), RangeError, /at least one/);
  throwsError(() => scoreNab(c, ok, { profiles: { x: { tpWeight: 0, fpWeight: 1, fnWeight: 1, tnWeight: 0 } } }), RangeError, /tpWeight must be > 0/);
  throwsError(() => scoreNab(c, ok, { profiles: { x: { tpWeight: 1, fpWeight: NaN, fnWeight: 1, tnWeight: 0 } } }), RangeError, /fpWeight/);
  throwsError(() => scoreNab(c, ok, { profiles: { x: 1 as unknown as NabCostMatrix } }), TypeError, /profile x: expected \{ tpWeight/);
  throwsError(() => scoreNab(c, ok, { threshold: NaN }), RangeError, /threshold must be a finite number/);
  throwsError(() => scoreNab(c, ok, { threshold: { standard: Infinity } }), RangeError, /threshold\.standard/);
  throwsError(() => scoreNab(c, ok, { threshold: 'high' as unknown as number }), TypeError, /threshold/);
  throwsError(() => scoreNab(c, ok, { probationPercent: 1.5 }), RangeError, /probationPercent/);
  throwsError(() => nabSweep(c, ok, { tpWeight: 1, fpWeight: -1, fnWeight: 1, tnWeight: 0 }), RangeError, /fpWeight must be a finite number >= 0/);
  // A Map works as well as an object.
  assert.is(scoreNab(c, new Map([[one.key, detections(100, [40])]]), { threshold: 0.5 }).profiles.standard.raw, 1);
});

test.run();
