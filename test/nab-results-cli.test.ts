// NAB results files (read, write, read back) and `vigil nab score`, run in-process on the fixture's
// published NAB results and on small results folders written to a temp dir.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { main } from '../ts/cli.ts';
import {
  DataFormatError, FileWriteError, loadNabCorpus, nabLabels, NabError, readNabResults, readNabResultsAsync, scoreNab, writeNabResults, writeNabResultsAsync,
} from '../ts/index.ts';
import { readNabResultsFile } from '../ts/nab/index.ts';
import { csvRecords } from '../ts/models/preprocessing/csv.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { throwsError } from './helpers/errors.ts';

const fixtures = fileURLToPath(new URL('./fixtures/nab/', import.meta.url));
const resultsDir = join(fixtures, 'results');
const published = JSON.parse(readFileSync(join(fixtures, 'published.json'), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'vigil-nab-results-'));
const corpus = loadNabCorpus();
const fixture = readNabResults(resultsDir, corpus);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
const run = async (argv: string[]) => {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
};

// A one-series corpus: 100 rows, one window on rows 40..49.
const small = join(tmp, 'small');
const times = Array.from({ length: 100 }, (_, i) => new Date(Date.UTC(2015, 0, 1) + i * 3_600_000).toISOString().replace('T', ' ').slice(0, 19));
mkdirSync(join(small, 'data', 'cat'), { recursive: true });
mkdirSync(join(small, 'labels'), { recursive: true });
writeFileSync(join(small, 'data', 'cat', 's.csv'), `timestamp,value\n${times.map((t, i) => `${t},${i % 5}`).join('\n')}\n`);
writeFileSync(join(small, 'labels', 'combined_windows.json'), JSON.stringify({ 'cat/s.csv': [[`${times[40]}.000000`, `${times[49]}.000000`]] }));
const smallCorpus = loadNabCorpus(small);

function resultsFile(path: string, rows: string[]): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `timestamp,value,anomaly_score,label\n${rows.join('\n')}\n`);
}
const rowsWith = (score: (i: number) => string) => times.map((t, i) => `${t},${i % 5},${score(i)},${i >= 40 && i <= 49 ? 1 : 0}`);

test('readNabResultsFile: errors name the file and line', () => {
  const s = smallCorpus.series[0];
  const at = (name: string, rows: string[]) => {
    const p = join(tmp, 'bad', name);
    resultsFile(p, rows);
    return () => readNabResultsFile(p, s);
  };
  const good = rowsWith((i) => (i === 44 ? '1' : '0'));
  assert.is(at('ok.csv', good)()[44], 1);
  throwsError(at('short.csv', good.slice(0, 99)), DataFormatError, /short\.csv:101: 99 rows, but cat\/s\.csv has 100/);
  throwsError(at('long.csv', [...good, good[99]]), DataFormatError, /long\.csv:102: more rows than the 100/);
  throwsError(at('time.csv', good.map((r, i) => (i === 7 ? r.replace(times[7], times[8]) : r))), DataFormatError, /time\.csv:9: timestamp .* is not row 7 of cat\/s\.csv/);
  throwsError(at('nan.csv', good.map((r, i) => (i === 3 ? r.replace(/,0,0$/, ',nan,0') : r))), DataFormatError, /nan\.csv:5: anomaly_score must be a finite number below 1\.1 \(NAB asks for \[0, 1\]\), got "nan"/);
  throwsError(at('big.csv', good.map((r, i) => (i === 3 ? r.replace(/,0,0$/, ',1.5,0') : r))), DataFormatError, /big\.csv:5: anomaly_score/);
  assert.is(at('neg.csv', good.map((r, i) => (i === 3 ? r.replace(/,0,0$/, ',-0.004,0') : r)))()[3], -0.004);
  throwsError(at('empty.csv', good.map((r, i) => (i === 3 ? r.replace(/,0,0$/, ',,0') : r))), DataFormatError, /empty\.csv:5: anomaly_score/);
  const noCol = join(tmp, 'bad', 'nocol.csv');
  writeFileSync(noCol, 'timestamp,value,score\n');
  throwsError(() => readNabResultsFile(noCol, s), DataFormatError, /nocol\.csv:1: expected a header with columns timestamp and anomaly_score/);
  // Label files' `.000000` form of a time is the same time.
  assert.is(at('frac.csv', good.map((r, i) => (i === 7 ? r.replace(times[7], `${times[7]}.000000`) : r)))()[7], 0);
});

test('readNabResults: a results root or one detector folder; gzipped files; missing series are errors', () => {
  const root = join(tmp, 'root');
  resultsFile(join(root, 'alpha', 'cat', 'alpha_s.csv'), rowsWith((i) => (i === 40 ? '0.9' : '0.1')));
  mkdirSync(join(root, 'beta', 'cat'), { recursive: true });
  writeFileSync(join(root, 'beta', 'cat', 'beta_s.csv.gz'), gzipSync(`timestamp,anomaly_score\n${times.map((t, i) => `${t},${i === 45 ? 1 : 0}`).join('\n')}\n`));
  writeFileSync(join(root, 'beta', 'beta_standard_scores.csv'), 'ignored\n');
  mkdirSync(join(root, 'unrelated'), { recursive: true });
  const all = readNabResults(root, smallCorpus);
  assert.equal([...all.keys()], ['alpha', 'beta']);
  assert.is(all.get('alpha')!.get('cat/s.csv')![40], 0.9);
  assert.is(all.get('beta')!.get('cat/s.csv')![45], 1);
  assert.equal([...readNabResults(join(root, 'beta'), smallCorpus).keys()], ['beta']);
  assert.equal([...readNabResults(root, smallCorpus, { detector: 'alpha' }).keys()], ['alpha']);
  throwsError(() => readNabResults(root, smallCorpus, { detector: 'gamma' }), NabError, /no results folder for detector "gamma"/);
  // The fixture holds only the bundled series: a corpus with a series it lacks is an error.
  throwsError(() => readNabResults(root, corpus), NabError, /holds no results/);
  throwsError(() => readNabResults(join(resultsDir, 'numenta'), smallCorpus), NabError, /holds no results|no results for 1/);
  throwsError(() => readNabResults(join(tmp, 'nowhere'), smallCorpus), NabError, /results folder not found/);
});

test('writeNabResults writes NAB\'s layout, which reads back to the same scores and report', () => {
  const out = join(tmp, 'written');
  const scores = fixture.get('numenta')!;
  const report = scoreNab(corpus, scores);
  const files = writeNabResults(out, 'mine', corpus, scores, report);
  assert.is(files.length, 16 + 3 + 1);
  const back = readNabResults(out, corpus).get('mine')!;
  for (const s of corpus.series) assert.equal([...back.get(s.key)!], [...scores.get(s.key)!]);
  assert.equal(scoreNab(corpus, back), report);
  // Per-row file: NAB's columns, the label column and the current NAB's S(t) columns.
  const s = corpus.series[5];
  const recs = [...csvRecords(readFileSync(join(out, 'mine', s.category, `mine_${s.name}.csv`), 'utf8'))].map((r) => r.fields);
  assert.equal(recs[0], ['timestamp', 'value', 'anomaly_score', 'label', 'S(t)_standard', 'S(t)_reward_low_FP_rate', 'S(t)_reward_low_FN_rate']);
  assert.is(recs.length, s.timestamps.length + 1);
  assert.equal(recs.slice(1).map((r) => Number(r[3])), [...nabLabels(s)]);
  assert.is(recs[1][0], s.times[0]);
  assert.is(Number(recs[1][1]), s.values[0]);
  // Left edge of the first window: S(t) = tpWeight.
  assert.is(Number(recs[s.windows[0].start + 1][4]), 1);
  const table = readFileSync(join(out, 'mine', 'mine_standard_scores.csv'), 'utf8').trim().split('\n');
  assert.is(table[0], 'Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count');
  assert.is(table.length, 18);
  const totals = table[17].split(',');
  assert.is(totals[0], 'Totals');
  assert.is(Number(totals[4]), report.profiles.standard.raw);
  const final = JSON.parse(readFileSync(join(out, 'final_results.json'), 'utf8'));
  assert.equal(final, { mine: { standard: report.profiles.standard.normalized, reward_low_FP_rate: report.profiles.reward_low_FP_rate.normalized, reward_low_FN_rate: report.profiles.reward_low_FN_rate.normalized } });
  // A second detector merges into final_results.json; without a report only the per-row files are written.
  writeNabResults(out, 'other', corpus, fixture.get('knncad')!, scoreNab(corpus, fixture.get('knncad')!, { profiles: ['standard'] }));
  assert.equal(Object.keys(JSON.parse(readFileSync(join(out, 'final_results.json'), 'utf8'))), ['mine', 'other']);
  assert.is(writeNabResults(join(tmp, 'plain'), 'plain', corpus, scores).length, 16);
  assert.not.ok(existsSync(join(tmp, 'plain', 'final_results.json')));
  throwsError(() => writeNabResults(out, 'my_detector', corpus, scores), RangeError, /'_'/);
  throwsError(() => writeNabResults(out, 'x', corpus, new Map()), RangeError, /no entry for/);
  // Scores NAB cannot read back (NaN, Infinity, >= 1.1) are refused before any file is written.
  for (const bad of [NaN, Infinity, 1.1]) {
    const a = new Float64Array(100);
    a[7] = bad;
    const dir = join(tmp, `bad-${bad}`);
    throwsError(() => writeNabResults(dir, 'x', smallCorpus, { 'cat/s.csv': a }), RangeError, /scores\["cat\/s\.csv"\]\[7\] must be a finite number below 1\.1/);
    assert.not.ok(existsSync(dir));
  }
  writeFileSync(join(tmp, 'final_results.json'), '[1]');
  throwsError(() => writeNabResults(tmp, 'x', smallCorpus, { 'cat/s.csv': new Float64Array(100) }, scoreNab(smallCorpus, { 'cat/s.csv': new Float64Array(100) })), NabError, /not a JSON object/);
});

test('readNabResultsAsync and writeNabResultsAsync: the sync forms\' scores and files, and their errors', async () => {
  assert.equal(await readNabResultsAsync(resultsDir, corpus, { detector: 'numenta' }), readNabResults(resultsDir, corpus, { detector: 'numenta' }));
  const scores = fixture.get('numenta')!;
  const report = scoreNab(corpus, scores);
  const [a, b] = [join(tmp, 'async-w'), join(tmp, 'sync-w')];
  const files = await writeNabResultsAsync(a, 'mine', corpus, scores, report);
  assert.equal(files.map((f) => f.slice(a.length)), writeNabResults(b, 'mine', corpus, scores, report).map((f) => f.slice(b.length)));
  for (const f of files) assert.ok(readFileSync(f).equals(readFileSync(b + f.slice(a.length))), f);
  await rejectsLikeSync(() => readNabResults(join(tmp, 'nowhere'), smallCorpus), readNabResultsAsync(join(tmp, 'nowhere'), smallCorpus));
  await rejectsLikeSync(() => readNabResults(a, corpus, { detector: 'gamma' }), readNabResultsAsync(a, corpus, { detector: 'gamma' }));
  const bad = join(tmp, 'bad-async', 'x');
  resultsFile(join(bad, 'cat', 'x_s.csv'), rowsWith((i) => (i === 7 ? 'high' : '0')));
  const e = await rejectsLikeSync(() => readNabResults(bad, smallCorpus), readNabResultsAsync(bad, smallCorpus));
  assert.ok(e instanceof DataFormatError && e.line === 9);
  await rejectsLikeSync(() => writeNabResults(a, 'my_detector', corpus, scores), writeNabResultsAsync(a, 'my_detector', corpus, scores));
  const nan = { 'cat/s.csv': new Float64Array(100).fill(NaN) };
  await rejectsLikeSync(() => writeNabResults(a, 'x', smallCorpus, nan), writeNabResultsAsync(a, 'x', smallCorpus, nan));
  // A folder where a results file goes: the write fails as a FileWriteError on both threads.
  const blocked = join(tmp, 'blocked');
  mkdirSync(join(blocked, 'x', 'cat', 'x_s.csv'), { recursive: true });
  const fifty = { 'cat/s.csv': new Float64Array(smallCorpus.series[0].values.length).fill(0.5) };
  const w = await rejectsLikeSync(() => writeNabResults(blocked, 'x', smallCorpus, fifty), writeNabResultsAsync(blocked, 'x', smallCorpus, fifty));
  assert.ok(w instanceof FileWriteError && /x_s\.csv: it is a folder$/.test(w.message), w.message);
});

test('vigil nab score: tables for each detector, and --json with every number', async () => {
  const json = join(tmp, 'report.json');
  const r = await run(['nab', 'score', '--results', resultsDir, '--json', json]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /^knncad: 16 series, 67747 rows, 21 windows/m);
  assert.match(r.out, /^numenta: 16 series/m);
  assert.match(r.out, /^standard +0\.504178 \(swept\) +70\.66 +8\.6767 +-21\.00 +21\.00 +18\/21/m);
  assert.match(r.out, /^realKnownCause\/ambient_temperature_system_failure\.csv +7267 +0\.7760 \(2\/2\)/m);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(Object.keys(j.detectors), ['knncad', 'numenta']);
  for (const det of ['knncad', 'numenta']) {
    for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']) {
      assert.is(j.detectors[det].profiles[p].threshold, published.sweeperOnSubset[det][p].threshold);
      assert.is(j.detectors[det].profiles[p].series.length, 16);
    }
  }
  // NAB's thresholds.json: the published thresholds, per detector.
  const tfile = join(tmp, 'thresholds.json');
  writeFileSync(tfile, JSON.stringify(published.thresholds));
  const t = await run(['nab', 'score', '--results', join(resultsDir, 'numenta'), '--thresholds', tfile, '--profile', 'standard', '--json', json]);
  assert.is(t.code, 0, t.err);
  const tj = JSON.parse(readFileSync(json, 'utf8')).detectors.numenta.profiles;
  assert.equal(Object.keys(tj), ['standard']);
  assert.is(tj.standard.threshold, published.thresholds.numenta.standard.threshold);
  assert.is(tj.standard.thresholdSource, 'given');
  assert.match(t.out, /0\.542188 \(given\)/);
  // One threshold for all; another data folder.
  const one = await run(['nab', 'score', '--results', join(tmp, 'root'), '--data', small, '--detector', 'alpha', '--threshold', '0.5']);
  assert.is(one.code, 0, one.err);
  assert.match(one.out, /^alpha: 1 series, 100 rows, 1 windows/m);
  assert.match(one.out, /^standard +0\.5 \(given\) +100\.00 +1\.0000/m);
  // A repeated time (as 8 of NAB's files have): an error naming the flag, or kept with it.
  const dup = join(tmp, 'dup');
  mkdirSync(join(dup, 'data', 'cat'), { recursive: true });
  mkdirSync(join(dup, 'labels'), { recursive: true });
  writeFileSync(join(dup, 'data', 'cat', 's.csv'), `timestamp,value\n${times.map((t, i) => `${i === 30 ? times[29] : t},${i % 5}`).join('\n')}\n`);
  writeFileSync(join(dup, 'labels', 'combined_windows.json'), readFileSync(join(small, 'labels', 'combined_windows.json')));
  resultsFile(join(tmp, 'dupres', 'alpha', 'cat', 'alpha_s.csv'), rowsWith((i) => (i === 40 ? '0.9' : '0.1')).map((r, i) => (i === 30 ? r.replace(times[30], times[29]) : r)));
  const strict = await run(['nab', 'score', '--results', join(tmp, 'dupres'), '--data', dup]);
  assert.is(strict.code, 1);
  assert.match(strict.err, /s\.csv:32: duplicate timestamp .* --allow-unordered-times/);
  const lenient = await run(['nab', 'score', '--results', join(tmp, 'dupres'), '--data', dup, '--allow-unordered-times']);
  assert.is(lenient.code, 0, lenient.err);
  assert.match(lenient.out, /rows whose time repeats or goes back .*: cat\/s\.csv \(1\)/);
  const help = await run(['nab', 'score', '--help']);
  assert.is(help.code, 0);
  assert.match(help.out, /usage: vigil nab score/);
});

test('vigil nab score: usage errors exit 2, bad data 1, each with a message', async () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['nab'], 2, /needs a subcommand: score/],
    [['nab', 'rescore'], 2, /unknown nab subcommand "rescore"/],
    [['nab', 'score'], 2, /--results DIR is required/],
    [['nab', 'score', '--results', ''], 2, /--results needs a folder name/],
    [['nab', 'score', '--results', resultsDir, '--threshold', 'high'], 2, /--threshold must be a number/],
    [['nab', 'score', '--results', resultsDir, '--threshold', '0.5', '--thresholds', 'x.json'], 2, /not both/],
    [['nab', 'score', '--results', resultsDir, '--profile', 'strict'], 2, /unknown --profile "strict"/],
    [['nab', 'score', '--results', resultsDir, '--probation', '2'], 2, /--probation must be a number in \[0, 1\)/],
    [['nab', 'score', '--results', resultsDir, '--bogus'], 2, /bogus/],
    [['nab', 'score', '--results', join(tmp, 'nowhere')], 1, /--results .*nowhere: no such folder/],
    [['nab', 'score', '--results', resultsDir, '--data', join(tmp, 'nowhere')], 1, /--data .*nowhere: no such folder/],
    [['nab', 'score', '--results', resultsDir, '--detector', 'null'], 1, /no results folder for detector "null"/],
    [['nab', 'score', '--results', resultsDir, '--thresholds', join(tmp, 'none.json')], 1, /--thresholds .*none\.json/],
    [['nab', 'score', '--results', join(tmp, 'bad')], 1, /holds no results/],
  ];
  writeFileSync(join(tmp, 'partial.json'), JSON.stringify({ numenta: published.thresholds.numenta }));
  cases.push([['nab', 'score', '--results', resultsDir, '--thresholds', join(tmp, 'partial.json')], 1, /no entry for detector knncad/]);
  for (const [argv, code, re] of cases) {
    const r = await run(argv);
    assert.is(r.code, code, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re, argv.join(' '));
    assert.not.match(r.err, /\n\s+at /, 'no stack trace');
  }
});

test.run();
