// `vigil score --model det.vigil --input X.npy|X.json`: a detector saved as a vigil model file scores a
// tensor like its ONNX export does. The tensor is the detector's features (the ONNX graph's input X,
// after any saved TabularPipeline, which is not applied), so the .vigil file, its .onnx under
// --engine native and under --engine onnxruntime write the same column: the detector's own
// scoreFeatures (= scoreSamples without a pipeline). A series detector reads the tensor as one series.
// Wrong rank or width is a RangeError naming --input and both numbers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../ts/cli.ts';
import { scoreDetectorTensor } from '../ts/cli/detector_tensor.ts';
import { loadDetector, type Detector } from '../ts/models/detectors/detector.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import { LstmForecaster } from '../ts/models/detectors/lstm_forecaster.ts';
import type { TabularInput } from '../ts/models/detectors/matrix.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import { exportOnnx } from '../ts/models/onnx/export/index.ts';
import type { Cell } from '../ts/models/preprocessing/encoders.ts';
import { readNpy, writeNpy } from '../ts/models/preprocessing/npy.ts';
import { TabularPipeline } from '../ts/models/preprocessing/tabular_pipeline.ts';
import { tensor, type Tensor } from '../ts/models/tensor.ts';
import { Add, Dense, Input, Model } from '../ts/index.ts';
import { rejectsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';
import { sine } from './helpers/series.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-score-det-vigil-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const TOL = 1e-5;
const quiet = { stdout: { write: () => true }, stderr: { write: () => true }, progressStream: null };

async function vigil(...argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(argv, { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) }, progressStream: null });
  return { code, err: err.join('') };
}

/** `x` as X.npy (float32) and X.json (a nested array of the same float32 values). */
function writeInputs(name: string, x: Tensor<Float32Array>): { npy: string; json: string } {
  const npy = join(dir, `${name}-x.npy`);
  writeFileSync(npy, writeNpy({ dtype: 'float32', shape: [...x.shape], data: x.data }));
  const json = join(dir, `${name}-x.json`);
  const [rows, cols] = x.shape as [number, number];
  writeFileSync(json, JSON.stringify(Array.from({ length: rows }, (_, i) => Array.from(x.data.subarray(i * cols, (i + 1) * cols)))));
  return { npy, json };
}

/** One run of vigil score; the written .npy must be float32 [rows]. */
async function score(model: string, x: string, rows: number, engine?: 'native' | 'onnxruntime'): Promise<{ scores: Float32Array; err: string }> {
  const y = join(dir, 'y.npy');
  const r = await vigil('score', '--model', model, '--input', x, '--output', y, ...(engine ? ['--engine', engine] : []));
  assert.is(r.code, 0, r.err);
  const out = readNpy(readFileSync(y));
  assert.is(out.dtype, 'float32');
  assert.equal(out.shape, [rows], 'one score per row');
  return { scores: out.data as Float32Array, err: r.err };
}

function near(a: ArrayLike<number>, b: ArrayLike<number>, scale: number, what: string): void {
  assert.is(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= TOL * Math.max(Math.abs(b[i]!), scale), `${what} row ${i}: ${a[i]} vs ${b[i]}`);
  }
}

test('a saved IsolationForest and OneClassSVM score .npy and .json tensors: scoreSamples, and the same as their ONNX files', async () => {
  const r = rng(21);
  const train = tensor(randomF32(r, 200 * 5), [200, 5]);
  // The first rows are spread out (anomalous), the rest like the training rows.
  const x = tensor(Float32Array.from(randomF32(r, 30 * 5), (v, i) => (i < 20 ? v * 4 : v)), [30, 5]);
  const inputs = writeInputs('tab', x);
  const cases: [string, Detector<TabularInput>][] = [
    ['iforest', new IsolationForest({ nEstimators: 25, seed: 2 })],
    ['ocsvm', new OneClassSVM({ nu: 0.1, gamma: 0.5 })],
  ];
  for (const [name, make] of cases) {
    const det = await make.fit(train);
    const vigilFile = join(dir, `${name}.vigil`);
    await det.save(vigilFile);
    const onnxFile = join(dir, `${name}.onnx`);
    await exportOnnx(det as Detector<never>, onnxFile);
    const want = await det.scoreSamples(x);
    assert.equal(Array.from(await det.scoreFeatures(x)), Array.from(want));
    const loaded = await loadDetector<Detector<TabularInput>>(vigilFile);
    assert.equal(Array.from(await loaded.scoreSamples(x)), Array.from(want), `${name}: the loaded detector scores as the fitted one`);
    const scale = name === 'ocsvm' ? Math.max(1, Math.abs((det as OneClassSVM).rho)) : 1;
    for (const input of [inputs.npy, inputs.json]) {
      const got = await score(vigilFile, input, 30);
      assert.match(got.err, /native \(vigil detector\).*vigil's anomaly score \[30\]/, `${name}: the .vigil default engine is native`);
      assert.equal(Array.from(got.scores), Array.from(want), `${name} ${input}: the .vigil file writes scoreSamples`);
      // The ONNX export of the same detector, on the same tensor: native exactly, onnxruntime to float32 rounding.
      assert.equal(Array.from((await score(onnxFile, input, 30, 'native')).scores), Array.from(want), `${name}: .onnx native`);
      near((await score(onnxFile, input, 30, 'onnxruntime')).scores, want, scale, `${name} ${input}: .onnx onnxruntime`);
    }
    // Higher = more anomalous: the spread-out rows score above the others on average.
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(mean(want.subarray(0, 20)) > mean(want.subarray(20)), `${name}: anomalies score higher`);
  }
  // A .json output holds the same numbers.
  const y = join(dir, 'y.json');
  assert.is((await vigil('score', '--model', join(dir, 'iforest.vigil'), '--input', inputs.npy, '--output', y)).code, 0);
  const fromJson = JSON.parse(readFileSync(y, 'utf8')) as number[];
  assert.equal(Float32Array.from(fromJson), (await score(join(dir, 'iforest.vigil'), inputs.npy, 30)).scores);
});

test('a detector saved with a TabularPipeline: the tensor is its features (the pipeline is not applied), as in its ONNX file', async () => {
  const COLUMNS = ['host', 'bytes', 'latency'];
  const r = rng(5);
  const raw = (n: number): Cell[][] => Array.from({ length: n }, (_, i) => [`h${i % 3}`, String(Math.floor(Math.exp(r() * 8))), (r() * 30 + 1).toFixed(2)]);
  const det = new OneClassSVM({ nu: 0.1, gamma: 0.5 });
  det.preprocessing = new TabularPipeline({ columns: COLUMNS, features: ['bytes', 'latency'], log: ['bytes'], scale: 'standard' });
  await det.fit(raw(150));
  const vigilFile = join(dir, 'piped.vigil');
  await det.save(vigilFile);
  const onnxFile = join(dir, 'piped.onnx');
  await exportOnnx(det as Detector<never>, onnxFile);
  const rows = raw(12);
  const features = det.preprocessing!.transform(rows);
  const { npy } = writeInputs('piped', features);
  const want = await det.scoreFeatures(features);
  assert.equal(Array.from(want), Array.from(await det.scoreSamples(rows)), 'features of raw rows score as the raw rows');
  const got = await score(vigilFile, npy, 12);
  assert.match(got.err, /note: '.*piped\.vigil' scores the tensor as its features, after its saved preprocessing \(not applied here\)/);
  assert.equal(Array.from(got.scores), Array.from(want));
  assert.equal(Array.from((await score(onnxFile, npy, 12, 'native')).scores), Array.from(want));
  near((await score(onnxFile, npy, 12, 'onnxruntime')).scores, want, Math.max(1, Math.abs(det.rho)), 'piped onnxruntime');
});

test('a saved series detector reads the tensor as one series: one score per step, as scoreSamples', async () => {
  const det = await new LstmForecaster({ window: 8, units: 4, epochs: 1, batchSize: 16, seed: 3 }).fit(sine(80, 1));
  const file = join(dir, 'forecaster.vigil');
  await det.save(file);
  const series = sine(40, 2, 30);
  const want = await det.scoreSamples(series);
  for (const [name, shape] of [['steps', [40]], ['steps1', [40, 1]]] as const) {
    const x = join(dir, `${name}.npy`);
    writeFileSync(x, writeNpy({ dtype: 'float32', shape: [...shape], data: series }));
    const got = await score(file, x, 40);
    assert.equal(Array.from(got.scores), Array.from(want), `[${shape.join(', ')}]`);
  }
  assert.ok(Number.isNaN(want[0]) && Number.isFinite(want[39]), 'no score before the first window');
  const wide = join(dir, 'wide.npy');
  writeFileSync(wide, writeNpy({ dtype: 'float32', shape: [20, 2], data: new Float32Array(40) }));
  const bad = await vigil('score', '--model', file, '--input', wide, '--output', join(dir, 'bad.npy'));
  assert.is(bad.code, 1);
  assert.match(bad.err, /--input has 2 feature\(s\) per step; the LstmForecaster in '.*forecaster\.vigil' takes 1/);
});

test('wrong width or rank: a RangeError naming --input and both numbers, for the .vigil and the .onnx file', async () => {
  const det = await new IsolationForest({ nEstimators: 10, seed: 1 }).fit(tensor(randomF32(rng(3), 100 * 5), [100, 5]));
  const vigilFile = join(dir, 'width.vigil');
  await det.save(vigilFile);
  const onnxFile = join(dir, 'width.onnx');
  await exportOnnx(det as Detector<never>, onnxFile);
  const narrow = writeInputs('narrow', tensor(randomF32(rng(4), 6 * 4), [6, 4]));
  const out = join(dir, 'never.npy');
  for (const [model, engine] of [[vigilFile, []], [onnxFile, ['--engine', 'native']]] as const) {
    for (const input of [narrow.npy, narrow.json]) {
      const r = await vigil('score', '--model', model, '--input', input, '--output', out, ...engine);
      assert.is(r.code, 1, r.err);
      assert.match(r.err, /--input has 4 features per row; the IsolationForest in '.*width\.(vigil|onnx)' takes 5/);
    }
  }
  const flat = join(dir, 'flat.json');
  writeFileSync(flat, JSON.stringify([1, 2, 3, 4, 5]));
  const r = await vigil('score', '--model', vigilFile, '--input', flat, '--output', out);
  assert.is(r.code, 1);
  assert.match(r.err, /--input must be a \[rows, features\] tensor for the IsolationForest in '.*width\.vigil' \(5 features\); got shape \[5\]/);
  // The class of the error, below the CLI's exit code.
  await rejectsError(scoreDetectorTensor(det as Detector<never>, { dtype: 'float32', shape: [2, 4], data: new Float32Array(8) }, "'m'", quiet),
    RangeError, /--input has 4 features per row; the IsolationForest in 'm' takes 5/);
});

test('a functional Model file is refused by name on the tensor and the row path, not misread as a detector', async () => {
  const a = Input({ shape: [3] }), b = Input({ shape: [3] });
  const shared = new Dense(2);
  const model = new Model({ inputs: [a, b], outputs: new Dense(1).apply(new Add().apply([shared.apply(a), shared.apply(b)])), seed: 1 });
  const file = join(dir, 'functional.vigil');
  await model.save(file);
  const x = writeInputs('functional', tensor(randomF32(rng(5), 4 * 3), [4, 3]));
  const csv = join(dir, 'functional.csv');
  writeFileSync(csv, 'a,b,c\n1,2,3\n');
  for (const input of [x.npy, csv]) {
    const r = await vigil('score', '--model', file, '--input', input, '--output', join(dir, 'never.json'));
    assert.is(r.code, 1, r.err);
    assert.match(r.err, /is a functional Model \(several inputs\).*Model\.load/);
    assert.not.match(r.err, /detector type/);
  }
});

test('--help says a detector .vigil file takes a tensor of features', async () => {
  const out: string[] = [];
  assert.is(await main(['score', '--model', 'm.vigil', '--input', 'x.npy', '--help'], { ...quiet, stdout: { write: (s: string) => out.push(s) } }), 0);
  assert.match(out.join(''), /a detector saved as a \.vigil file/);
});

test.run();
