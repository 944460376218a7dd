// `vigil eval nab-lstm` end to end on a small NAB folder cut from the bundled series (2 series of
// 900 rows, one epoch): the report, --json, --results that `vigil nab score` rescores to the same
// numbers, the look-ahead baseline's label, usage errors; the pictures' spec and rendering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../ts/cli.ts';
import { nabLstmSettings } from '../ts/experiments/nab-lstm.ts';
import { dailyLag } from '../ts/experiments/nab-run.ts';
import { BUNDLED_NAB, loadNabCorpus } from '../ts/nab/corpus.ts';
import { nabPlotSpec, renderSvg, thinRows } from '../ts/nab/plots.ts';
import { rejectsError } from './helpers/errors.ts';

const ROWS = 900;
const SERIES = ['realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv', 'artificialWithAnomaly/art_daily_jumpsdown.csv'];

/** A NAB folder with the first ROWS rows of two bundled series, a spike and a window in the first. */
function smallNab(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nab-eval-'));
  const windows: Record<string, string[][]> = {};
  SERIES.forEach((key, k) => {
    const lines = readFileSync(join(BUNDLED_NAB, 'data', key), 'utf8').split('\n').slice(0, ROWS + 1);
    const time = (row: number) => lines[row + 1].split(',')[0];
    if (k === 0) {
      const [t, v] = lines[531].split(',');
      lines[531] = `${t},${Number(v) * 4 + 50}`;
      windows[key] = [[`${time(500)}.000000`, `${time(560)}.000000`]];
    } else {
      windows[key] = [];
    }
    mkdirSync(join(dir, 'data', key.split('/')[0]), { recursive: true });
    writeFileSync(join(dir, 'data', key), `${lines.join('\n')}\n`);
  });
  mkdirSync(join(dir, 'labels'));
  writeFileSync(join(dir, 'labels', 'combined_windows.json'), JSON.stringify(windows));
  return dir;
}

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: { write: (s: string) => ((out.stdout += s), true) },
    stderr: { write: (s: string) => ((out.stderr += s), true) },
    progressStream: null,
  };
  return { out, io };
}

test('vigil eval nab-lstm: report, --json, --results rescored by vigil nab score', async () => {
  const dir = smallNab();
  try {
    const { out, io } = capture();
    const json = join(dir, 'r.json');
    const results = join(dir, 'results');
    // Options may come before the experiment's name.
    const code = await main(['eval', '--epochs', '1', 'nab-lstm', '--data', dir, '--json', json, '--results', results], io);
    assert.is(code, 0, out.stderr);
    assert.match(out.stdout, /nab-lstm \(protocol default\): NAB score \(row t scored from rows 0\.\.t only\)/);
    assert.match(out.stdout, /standard\s+-?\d+\.\d\d/);
    for (const key of SERIES) assert.ok(out.stdout.includes(key), key);
    assert.match(out.stderr, /\[2\/2\]/);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(Object.keys(j), ['experiment', 'protocol', 'lookAhead', 'metrics', 'trainSeconds', 'scoreSeconds', 'samplesPerSecond']);
    assert.is(j.experiment, 'nab-lstm');
    assert.is(j.lookAhead, false);
    assert.equal(Object.keys(j.metrics.nab).sort(), ['reward_low_FN_rate', 'reward_low_FP_rate', 'standard']);
    for (const v of [...Object.values(j.metrics.nab), j.metrics.precision, j.metrics.recall, j.metrics.f1, j.trainSeconds, j.samplesPerSecond]) {
      assert.ok(typeof v === 'number' && Number.isFinite(v), String(v));
    }
    assert.is(j.metrics.windows, 1);
    const files = readdirSync(join(results, 'vigil-lstm', 'realAWSCloudwatch'));
    assert.equal(files, ['vigil-lstm_ec2_cpu_utilization_5f5533.csv']);
    const again = capture();
    const rescored = join(dir, 'rescored.json');
    assert.is(await main(['nab', 'score', '--results', results, '--data', dir, '--json', rescored], again.io), 0, again.out.stderr);
    const r = JSON.parse(readFileSync(rescored, 'utf8')).detectors['vigil-lstm'];
    for (const p of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']) {
      assert.ok(Math.abs(r.profiles[p].normalized - j.metrics.nab[p]) < 1e-9, `${p}: ${r.profiles[p].normalized} vs ${j.metrics.nab[p]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vigil eval nab-lstm --protocol seed is labelled a look-ahead baseline', async () => {
  const dir = smallNab();
  try {
    const { out, io } = capture();
    const json = join(dir, 's.json');
    assert.is(await main(['eval', 'nab-lstm', '--protocol', 'seed', '--epochs', '1', '--data', dir, '--json', json], io), 0, out.stderr);
    assert.match(out.stdout, /LOOK-AHEAD BASELINE.*NOT a NAB score/);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.is(j.protocol, 'seed');
    assert.is(j.lookAhead, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vigil eval nab-tcn: the TCN forecaster under the same runner, --json and --results; no seed protocol', async () => {
  const dir = smallNab();
  try {
    const { out, io } = capture();
    const json = join(dir, 't.json');
    const results = join(dir, 'results');
    assert.is(await main(['eval', 'nab-tcn', '--epochs', '1', '--data', dir, '--json', json, '--results', results], io), 0, out.stderr);
    assert.match(out.stdout, /nab-tcn \(protocol default\): NAB score/);
    assert.match(out.stdout, /TcnForecaster window 48, TCN\(64 filters, kernel 3, dilations 1\/2\/4\/8/);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.is(j.experiment, 'nab-tcn');
    assert.is(j.lookAhead, false);
    for (const v of Object.values(j.metrics.nab)) assert.ok(typeof v === 'number' && Number.isFinite(v), String(v));
    assert.equal(readdirSync(join(results, 'vigil-tcn', 'realAWSCloudwatch')), ['vigil-tcn_ec2_cpu_utilization_5f5533.csv']);
    const seed = capture();
    assert.is(await main(['eval', 'nab-tcn', '--protocol', 'seed', '--data', dir], seed.io), 2);
    assert.match(seed.out.stderr, /nab-tcn has no seed protocol/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vigil eval nab-lstm: usage errors exit 2, a missing folder exits 1', async () => {
  for (const args of [['--protocol', 'book'], ['--epochs', '0'], ['--json', ''], ['--bogus'], ['--plots', '']]) {
    const { out, io } = capture();
    assert.is(await main(['eval', 'nab-lstm', ...args], io), 2, args.join(' '));
    assert.match(out.stderr, /usage: vigil eval nab-lstm\|nab-tcn \[options\]/);
  }
  const { out, io } = capture();
  assert.is(await main(['eval', 'nab-lstm', '--data', join(tmpdir(), 'no-such-nab-folder')], io), 1);
  assert.match(out.stderr, /--data .*no-such-nab-folder: no such folder/);
  const help = capture();
  assert.is(await main(['eval', 'nab-lstm', '--help'], help.io), 0);
  assert.match(help.out.stdout, /--plots DIR/);
});

test('settings: one day of steps from the probationary spacing, the same rule for every series', () => {
  const fiveMin = Array.from({ length: 1000 }, (_, i) => i * 300_000);
  assert.is(dailyLag(fiveMin, 600), 288);
  assert.is(dailyLag(fiveMin, 500), null, 'a day must fit twice into the probationary rows');
  assert.is(dailyLag(Array.from({ length: 100 }, (_, i) => i * 3_600_000), 60), 24);
  assert.is(dailyLag([0, 0, 0, 0], 4), null);
  const s = nabLstmSettings(fiveMin, 4032);
  assert.is(s.trainSteps, 604);
  assert.is(s.seasonalLag, 288);
  assert.is(nabLstmSettings(fiveMin, 22695).trainSteps, 750);
});

test('pictures: the spec flags rows at the threshold after probation; thinning keeps extremes', async () => {
  const corpus = loadNabCorpus(BUNDLED_NAB);
  const s = corpus.series.find((x) => x.key === 'realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv')!;
  const scores = new Float32Array(s.values.length);
  scores[10] = 0.9; // probationary: not drawn as a flag
  scores[1500] = 0.9;
  scores[2900] = 0.7;
  const spec = nabPlotSpec(s, scores, { threshold: 0.8, subtitle: 'test' }) as { data: Array<{ name: string; values: unknown[] }> };
  const data = Object.fromEntries(spec.data.map((d) => [d.name, d.values]));
  assert.equal(data.flags, [{ t: s.timestamps[1500], v: s.values[1500] }]);
  assert.is((data.bands as Array<{ kind: string }>).filter((b) => b.kind === 'window').length, s.windows.length);
  assert.ok(data.values.length <= 4 * 900);
  const keep = thinRows(s.values, 100);
  let max = 0;
  for (let i = 1; i < s.values.length; i++) if (s.values[i] > s.values[max]) max = i;
  assert.ok(keep.includes(max) && keep.includes(0) && keep.includes(s.values.length - 1));
  assert.equal(thinRows([3, 1, 2], 10), [0, 1, 2]);
  let vega = true;
  try {
    await import(['ve', 'ga'].join(''));
  } catch {
    vega = false;
  }
  if (vega) {
    const svg = await renderSvg(spec);
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(svg.includes(s.key), 'the title names the series');
  } else {
    await rejectsError(renderSvg(spec), Error, /needs the 'vega' package/);
  }
});

test.run();
