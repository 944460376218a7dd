// vigil's NAB scorer against NAB itself, on the 16 bundled series: the published results files of
// two NAB detectors (numenta, knncad; test/fixtures/nab/, written by make_nab_fixtures.py from
// numenta/NAB at ea702d7, MIT) with NAB's published thresholds, and NAB's own sweeper.py run on
// the same subset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadNabCorpus, nabLabels, nabNormalize, readNabResults, scoreNab } from '../ts/index.ts';
import type { NabSeries } from '../ts/index.ts';
import { nabRowScores, nabRowWindows, OUTSIDE_WINDOW, PROBATIONARY } from '../ts/nab/index.ts';
import { csvRecords } from '../ts/models/preprocessing/csv.ts';
import { readDataText } from '../ts/models/datasets.ts';

const fixtures = fileURLToPath(new URL('./fixtures/nab/', import.meta.url));
const resultsDir = join(fixtures, 'results');

interface FileScore { threshold: number; score: number; tp: number; tn: number; fp: number; fn: number; total: number }
interface Published {
  detectors: string[];
  thresholds: Record<string, Record<string, { threshold: number; score: number }>>;
  finalResults: Record<string, Record<string, number>>;
  fileScores: Record<string, Record<string, { totalOver58Files: number; files: Record<string, FileScore> }>>;
  sweeperOnSubset: Record<string, Record<string, { threshold: number; optimizerScore: number; thresholds: number; files: Record<string, FileScore> }>>;
}
const published: Published = JSON.parse(readFileSync(join(fixtures, 'published.json'), 'utf8'));
const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];
const corpus = loadNabCorpus();
const results = readNabResults(resultsDir, corpus);

const cache = new Map<string, Record<string, string[]>>();

/** The fixture file's columns as text, by header name. */
function columns(detector: string, s: NabSeries): Record<string, string[]> {
  const key = `${detector}/${s.key}`;
  if (!cache.has(key)) cache.set(key, readColumns(detector, s));
  return cache.get(key)!;
}

function readColumns(detector: string, s: NabSeries): Record<string, string[]> {
  const text = readDataText(join(resultsDir, detector, s.category, `${detector}_${s.name}.csv.gz`), 'fixture');
  const recs = [...csvRecords(text)].map((r) => r.fields);
  return Object.fromEntries(recs[0].map((h, c) => [h, recs.slice(1).map((r) => r[c])]));
}

const close = (got: number, want: number, what: string, tol: number) =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (diff ${Math.abs(got - want)})`);

test('the fixture: both detectors, all 16 series, labels equal to NAB\'s label column', () => {
  assert.equal([...results.keys()].sort(), ['knncad', 'numenta']);
  for (const [det, scores] of results) {
    assert.is(scores.size, 16);
    for (const s of corpus.series) {
      const label = columns(det, s).label.map(Number);
      assert.equal([...nabLabels(s)], label, `${det} ${s.key}`);
      assert.is(scores.get(s.key)!.length, s.timestamps.length);
    }
  }
});

test('with NAB\'s published thresholds: each series\' raw score is the sum of NAB\'s S(t) column and the published score', () => {
  for (const det of published.detectors) {
    const thresholds = Object.fromEntries(PROFILES.map((p) => [p, published.thresholds[det][p].threshold]));
    const report = scoreNab(corpus, results.get(det)!, { threshold: thresholds });
    for (const p of PROFILES) {
      const r = report.profiles[p];
      assert.is(r.threshold, thresholds[p]);
      let sum = 0;
      for (const s of r.series) {
        const series = corpus.series.find((x) => x.key === s.key)!;
        const st = columns(det, series)[`S(t)_${p}`].map(Number);
        const sumSt = st.reduce((a, b) => a + b, 0);
        close(s.raw, sumSt, `${det} ${p} ${s.key} vs sum of S(t)`, 1e-6);
        const pub = published.fileScores[det][p].files[s.key];
        // numenta's scores CSV has 12 significant digits, knncad's all of them.
        close(s.raw, pub.score, `${det} ${p} ${s.key} vs published Score`, 1e-10);
        assert.equal([s.tp, s.tn, s.fp, s.fn], [pub.tp, pub.tn, pub.fp, pub.fn], `${det} ${p} ${s.key} counts`);
        // The 2016 scorer's Total_Count was the file length; the sweep counts scored rows only.
        assert.is(pub.total, s.rows);
        assert.is(s.tp + s.tn + s.fp + s.fn, s.rows - (s.rows > 5000 ? 750 : Math.floor(0.15 * s.rows)));
        sum += pub.score;
      }
      close(r.raw, sum, `${det} ${p} total`, 1e-9);
      // The documented normalisation over this subset: null = -fnWeight per window, perfect = tpWeight per window.
      const w = corpus.profiles[p];
      assert.is(r.nullRaw, -w.fnWeight * 21);
      assert.is(r.perfect, w.tpWeight * 21);
      close(r.normalized!, (100 * (sum + 21 * w.fnWeight)) / (21 * w.tpWeight + 21 * w.fnWeight), `${det} ${p} normalised`, 1e-8);
    }
  }
});

test('row by row: NAB\'s 2016 S(t) column is each window\'s credit at its first row and each false positive\'s penalty', () => {
  for (const det of published.detectors) {
    const scores = results.get(det)!;
    for (const p of PROFILES) {
      const threshold = published.thresholds[det][p].threshold;
      const cm = corpus.profiles[p];
      for (const s of corpus.series) {
        const a = scores.get(s.key)!;
        const { sweep } = nabRowScores(s.timestamps.length, s.windows, cm);
        const win = nabRowWindows(s.timestamps.length, s.windows);
        const want = new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) if (win[i] === OUTSIDE_WINDOW && a[i] >= threshold) want[i] = sweep[i];
        s.windows.forEach((w, k) => {
          let best = -cm.fnWeight;
          for (let i = w.start; i <= w.end; i++) if (win[i] === k && a[i] >= threshold) best = Math.max(best, sweep[i]);
          want[w.start] = best;
        });
        const st = columns(det, s)[`S(t)_${p}`].map(Number);
        for (let i = 0; i < a.length; i++) {
          if (Math.abs(st[i] - want[i]) > 1e-9) assert.unreachable(`${det} ${p} ${s.key} row ${i} (${win[i] === PROBATIONARY ? 'probationary' : win[i]}): NAB ${st[i]}, vigil ${want[i]}`);
        }
      }
    }
  }
});

test('the threshold sweep equals NAB\'s sweeper.py on this subset, and scores at least the published thresholds\'', () => {
  for (const det of published.detectors) {
    const swept = scoreNab(corpus, results.get(det)!);
    const fixed = scoreNab(corpus, results.get(det)!, { threshold: Object.fromEntries(PROFILES.map((p) => [p, published.thresholds[det][p].threshold])) });
    for (const p of PROFILES) {
      const nab = published.sweeperOnSubset[det][p];
      const r = swept.profiles[p];
      assert.is(r.thresholdSource, 'swept');
      assert.is(r.threshold, nab.threshold, `${det} ${p} threshold`);
      close(r.sweptScore!, nab.optimizerScore, `${det} ${p} optimizer score`, 1e-12);
      for (const s of r.series) {
        const f = nab.files[s.key];
        close(s.raw, f.score, `${det} ${p} ${s.key}`, 1e-12);
        assert.equal([s.tp, s.tn, s.fp, s.fn, s.tp + s.tn + s.fp + s.fn], [f.tp, f.tn, f.fp, f.fn, f.total]);
      }
      close(r.raw, r.sweptScore!, `${det} ${p} totals vs optimizer`, 1e-12);
      assert.ok(r.raw >= fixed.profiles[p].raw - 1e-12, `${det} ${p}: swept ${r.raw} < published-threshold ${fixed.profiles[p].raw}`);
      assert.ok(r.normalized! >= fixed.profiles[p].normalized! - 1e-9);
    }
  }
  // Printed in the report: numenta standard on the subset with the sweep.
  const n = scoreNab(corpus, results.get('numenta')!).profiles.standard;
  close(n.normalized!, 70.6588929218435, 'numenta standard, swept, normalised', 1e-9);
});

test('the null detector: NAB\'s published per-series scores; normalisation of NAB\'s own totals', () => {
  const nul = new Map(corpus.series.map((s) => [s.key, new Float64Array(s.timestamps.length).fill(0.5)]));
  const t = Object.fromEntries(PROFILES.map((p) => [p, published.thresholds.null[p].threshold]));
  const fixed = scoreNab(corpus, nul, { threshold: t });
  const swept = scoreNab(corpus, nul);
  for (const p of PROFILES) {
    for (const s of fixed.profiles[p].series) assert.is(s.raw, published.fileScores.null[p].files[s.key].score, `${p} ${s.key}`);
    assert.is(swept.profiles[p].normalized, 0);
    assert.is(swept.profiles[p].threshold, 1.1);
    // NAB's final_results.json from its Totals over 58 series: 116 windows, null -116 * fnWeight.
    for (const det of published.detectors) {
      const w = corpus.profiles[p];
      const got = nabNormalize(published.fileScores[det][p].totalOver58Files, published.fileScores.null[p].totalOver58Files, 116 * w.tpWeight);
      close(got!, published.finalResults[det][p], `${det} ${p} final result`, 1e-6);
    }
  }
});

test('the fixture\'s anomaly scores are read exactly as NAB wrote them', () => {
  const s = corpus.series.find((x) => x.key === 'realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv')!;
  const text = columns('numenta', s).anomaly_score;
  const a = results.get('numenta')!.get(s.key)!;
  for (let i = 0; i < a.length; i++) assert.is(a[i], Number(text[i]));
  assert.is(a[730], 0.999504378009);
});

test.run();
