// Detectors exported to ONNX: onnxruntime-node's outputs on the exported file agree with vigil's own
// (anomaly_score with scoreSamples, scores with threshold - scoreSamples, label with predict) to 1e-5 on
// random rows, for every detector type, SVM kernel and RBM visible type; the file imports back into the
// same detector, bit for bit. With VIGIL_ONNX_EXPORT_DIR set, every exported file is also written there
// for test/fixtures/check_onnx.py (onnx.checker).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import type { Detector } from '../ts/models/detectors/detector.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import type { TabularInput } from '../ts/models/detectors/matrix.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import { RBM } from '../ts/models/detectors/rbm.ts';
import { RbmEnsemble } from '../ts/models/detectors/rbm_ensemble.ts';
import { META } from '../ts/models/onnx/metadata.ts';
import { decodeModel } from '../ts/models/onnx/proto.ts';
import { GraphReader } from '../ts/models/onnx/read.ts';
import {
  detectorFromOnnx, detectorFromOnnxAsync, detectorToOnnx, detectorToOnnxAsync, importDetectorOnnx,
} from '../ts/models/onnx/detectors/index.ts';
import { tensor, type Tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { keepOnnx } from './helpers/onnx.ts';
import { randomF32, rng } from './helpers/random.ts';

const ROWS = 160;
const COLS = 6;
const TOL = 1e-5;

/** Training rows uniform in [-1, 1); half the scored rows too, the other half reach 2.5 times as far. */
function tables(seed: number, bernoulli = false): { train: Tensor<Float32Array>; score: Tensor<Float32Array> } {
  const r = rng(seed);
  const train = randomF32(r, 200 * COLS, -1, 1);
  const score = randomF32(r, ROWS * COLS, -1, 1);
  score.set(randomF32(r, (ROWS / 2) * COLS, -2.5, 2.5), (ROWS / 2) * COLS);
  if (bernoulli) for (const a of [train, score]) for (let i = 0; i < a.length; i++) a[i] = 1 / (1 + Math.exp(-2 * a[i]!));
  return { train: tensor(train, [200, COLS]), score: tensor(score, [ROWS, COLS]) };
}

interface Case {
  name: string;
  make: () => Detector<TabularInput>;
  bernoulli?: boolean;
  /** The scale a score's float32 rounding is relative to, beyond |score| itself (an SVM's ρ). */
  scale?: (d: Detector<TabularInput>) => number;
}

const svmScale = (d: Detector<TabularInput>) => Math.abs((d as OneClassSVM).rho);
const CASES: Case[] = [
  { name: 'iforest', make: () => new IsolationForest({ nEstimators: 25, seed: 7 }) },
  { name: 'iforest-subsets-bootstrap', make: () => new IsolationForest({ nEstimators: 15, maxSamples: 64, maxFeatures: 0.5, bootstrap: true, seed: 8, thresholdQuantile: 0.8 }) },
  { name: 'ocsvm-rbf', make: () => new OneClassSVM({ nu: 0.1 }), scale: svmScale },
  { name: 'ocsvm-rbf-rho', make: () => new OneClassSVM({ nu: 0.2, gamma: 0.4, threshold: 'rho' }), scale: svmScale },
  { name: 'ocsvm-linear', make: () => new OneClassSVM({ kernel: 'linear', nu: 0.15 }), scale: svmScale },
  { name: 'ocsvm-poly', make: () => new OneClassSVM({ kernel: 'poly', degree: 3, gamma: 0.3, coef0: 1, nu: 0.1 }), scale: svmScale },
  { name: 'ocsvm-sigmoid', make: () => new OneClassSVM({ kernel: 'sigmoid', gamma: 0.05, coef0: 0.2, nu: 0.1 }), scale: svmScale },
  { name: 'rbm-gaussian', make: () => new RBM({ hiddenUnits: 12, epochs: 3, seed: 2 }) },
  { name: 'rbm-bernoulli', make: () => new RBM({ hiddenUnits: 9, epochs: 3, visible: 'bernoulli', seed: 3 }), bernoulli: true },
  { name: 'rbm-gaussian-reconstruction', make: () => new RBM({ hiddenUnits: 12, epochs: 3, seed: 2, scoring: 'reconstruction' }) },
  { name: 'rbm-bernoulli-reconstruction', make: () => new RBM({ hiddenUnits: 9, epochs: 3, visible: 'bernoulli', seed: 3, scoring: 'reconstruction' }), bernoulli: true },
  // The members' graphs side by side, averaged by Sum and Mul.
  { name: 'rbm-ensemble-reconstruction', make: () => new RbmEnsemble({ members: 3, hiddenUnits: 7, epochs: 3, seed: 2, scoring: 'reconstruction' }) },
  { name: 'rbm-ensemble-bernoulli', make: () => new RbmEnsemble({ members: 2, hiddenUnits: 5, epochs: 3, visible: 'bernoulli', seed: 3 }), bernoulli: true },
];

async function runOrt(bytes: Uint8Array, x: Tensor<Float32Array>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    assert.equal(session.outputNames, ['label', 'scores', 'anomaly_score']);
    return await session.run({ X: new ort.Tensor('float32', x.data, x.shape) });
  } finally {
    await session.release();
  }
}

for (const [k, c] of CASES.entries()) {
  test(`${c.name}: onnxruntime-node on the exported file agrees with vigil to ${TOL}`, async () => {
    const { train, score } = tables(100 + k, c.bernoulli);
    const det = c.make();
    await det.fit(train);
    const bytes = detectorToOnnx(det);
    keepOnnx(`detector_${c.name}`, bytes);
    const out = await runOrt(bytes, score);
    const want = await det.scoreSamples(score);
    const predicted = await det.predict(score);
    const t = det.threshold;
    const scale = c.scale?.(det) ?? 0;
    for (const name of ['label', 'scores', 'anomaly_score']) assert.equal(out[name]!.dims, [ROWS, 1], `${name} dims`);
    const anomaly = out.anomaly_score!.data as Float32Array;
    const scores = out.scores!.data as Float32Array;
    const label = out.label!.data as BigInt64Array;
    let flagged = 0;
    for (let i = 0; i < ROWS; i++) {
      const tol = TOL * Math.max(1, Math.abs(want[i]!), scale);
      assert.ok(Number.isFinite(anomaly[i]) && Math.abs(anomaly[i]! - want[i]!) <= tol, `row ${i}: anomaly_score ${anomaly[i]} vs scoreSamples ${want[i]}`);
      assert.ok(Math.abs(scores[i]! - (t - want[i]!)) <= tol, `row ${i}: scores ${scores[i]} vs threshold - scoreSamples ${t - want[i]!}`);
      if (Math.abs(want[i]! - t) > tol) assert.is(Number(label[i]), predicted[i] === 1 ? -1 : 1, `row ${i}: label`);
      flagged += predicted[i]!;
    }
    assert.ok(flagged > 0 && flagged < ROWS, `the rows hold both kinds (${flagged} flagged)`);
  });

  test(`${c.name}: the exported file imports back into the same detector`, async () => {
    const { train, score } = tables(100 + k, c.bernoulli);
    const det = c.make();
    await det.fit(train);
    const back = detectorFromOnnx(detectorToOnnx(det), c.name);
    assert.is(back.constructor, det.constructor);
    assert.is(back.threshold, det.threshold);
    assert.equal(back.thresholdRule, det.thresholdRule);
    const a = det.fittedState(), b = back.fittedState();
    assert.equal(b.config, a.config);
    assert.equal(b.fitted, a.fitted);
    assert.equal(b.weights.map((w) => [w.name, w.shape]), a.weights.map((w) => [w.name, w.shape]));
    a.weights.forEach((w, i) => assert.equal(Array.from(b.weights[i]!.value), Array.from(w.value), `weight ${w.name}`));
    assert.equal(Array.from(await back.scoreSamples(score)), Array.from(await det.scoreSamples(score)));
  });
}

test('the async forms run on a worker thread and give the same bytes and detectors', async () => {
  const { train, score } = tables(4);
  const det = await new IsolationForest({ nEstimators: 30, seed: 4 }).fit(train);
  const bytes = await detectorToOnnxAsync(det);
  assert.ok(Buffer.from(bytes).equals(detectorToOnnx(det)), 'the same bytes as detectorToOnnx');
  const [a, b] = await Promise.all([detectorFromOnnxAsync(bytes, 'a.onnx'), detectorFromOnnxAsync(bytes.slice(), 'b.onnx')]);
  const want = Array.from(await det.scoreSamples(score));
  assert.equal(Array.from(await a.scoreSamples(score)), want);
  assert.equal(Array.from(await b.scoreSamples(score)), want);
  assert.is(a.threshold, det.threshold);
  await rejectsError(detectorFromOnnxAsync(bytes.subarray(0, 50), 'cut.onnx'), Error, /^cut.onnx: not/);
  await rejectsError(detectorToOnnxAsync(new RBM()), Error, /not fitted yet/);
  await rejectsError(detectorFromOnnxAsync('x' as unknown as Uint8Array, 'f'), TypeError, /^f: expected a Uint8Array/);
});

test('metadata and doc_string carry the type, threshold, state and score convention', async () => {
  const { train } = tables(1);
  const det = await new IsolationForest({ nEstimators: 5, seed: 1, contamination: 0.2 }).fit(train);
  const model = decodeModel(detectorToOnnx(det, { preprocessing: { kind: 'standard', mean: [1, 2] } }));
  const meta = Object.fromEntries((model.metadata_props ?? []).map((e) => [e.key, e.value]));
  assert.is(meta[META.kind], 'detector');
  assert.is(meta[META.detector], 'IsolationForest');
  assert.is(Number(meta[META.threshold]), det.threshold);
  assert.equal(JSON.parse(meta[META.config]!).config.contamination, 0.2);
  assert.equal(JSON.parse(meta[META.preprocessing]!), { kind: 'standard', mean: [1, 2] });
  assert.match(meta[META.score]!, /higher = more anomalous/);
  assert.match(model.doc_string!, /scikit-learn's decision_function sign/);
  assert.equal(model.opset_import, [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }]);
  const rbm = await new RBM({ hiddenUnits: 3, epochs: 1 }).fit(train);
  assert.equal(decodeModel(detectorToOnnx(rbm)).opset_import, [{ domain: '', version: 17 }], 'the RBM uses standard operators only');
});

test('export refuses unfitted detectors, other values and a forest grown on one row', async () => {
  throwsError(() => detectorToOnnx(new OneClassSVM()), Error, /not fitted yet/);
  throwsError(() => detectorToOnnx({ modelType: 'IsolationForest' } as unknown as Detector<TabularInput>), TypeError, /expected a fitted detector \(IsolationForest, OneClassSVM, RBM, RbmEnsemble\), got object/);
  throwsError(() => detectorToOnnx(null as unknown as Detector<TabularInput>), TypeError, /got null/);
  const { train } = tables(2);
  const det = await new IsolationForest({ nEstimators: 3 }).fit(train);
  throwsError(() => detectorToOnnx(det, null as never), TypeError, /options must be an object/);
  const one = await new IsolationForest({ nEstimators: 2 }).fit(tensor(new Float32Array([0.5, -0.25]), [1, 2]));
  throwsError(() => detectorToOnnx(one), RangeError, /grown on one row/);
});

test('graphs that are not detectors import as undefined; broken vigil metadata is an Error', async () => {
  const { train } = tables(3);
  const det = await new RBM({ hiddenUnits: 3, epochs: 1 }).fit(train);
  const model = decodeModel(detectorToOnnx(det));
  const withMeta = (props: Record<string, string>) => new GraphReader({ ...model, metadata_props: Object.entries(props).map(([key, value]) => ({ key, value })) }, 'f');
  assert.is(importDetectorOnnx(withMeta({})), undefined, 'standard ops and no metadata: not a detector graph');
  assert.is(importDetectorOnnx(withMeta({ [META.kind]: 'sequential' })), undefined);
  throwsError(() => importDetectorOnnx(withMeta({ [META.kind]: 'detector' })), Error, /^f: metadata 'vigil.kind' is 'detector' but 'vigil.detector' is missing/);
  throwsError(() => importDetectorOnnx(withMeta({ [META.kind]: 'detector', [META.detector]: 'RBM', [META.threshold]: '1' })), Error, /'vigil.config' is missing or not JSON/);
  const meta = Object.fromEntries((model.metadata_props ?? []).map((e) => [e.key, e.value]));
  throwsError(() => importDetectorOnnx(withMeta({ ...meta, [META.threshold]: 'high' })), Error, /'vigil.threshold' must be a finite number/);
  throwsError(() => importDetectorOnnx(withMeta({ ...meta, [META.detector]: 'LOF' })), Error, /detector type 'LOF', which has no ONNX import/);
  const cfg = JSON.parse(meta[META.config]!);
  cfg.config.hiddenUnits = 4;
  throwsError(() => importDetectorOnnx(withMeta({ ...meta, [META.config]: JSON.stringify(cfg) })), Error, /^f: the RBM does not fit vigil's: weight 'W' must hold 24 values/);
  const noWeights = new GraphReader({ ...model, graph: { ...model.graph!, initializer: model.graph!.initializer!.filter((t) => t.name !== 'hidden_bias') } }, 'f');
  throwsError(() => importDetectorOnnx(noWeights), Error, /initializer 'hidden_bias' is missing/);
  throwsError(() => detectorFromOnnx(detectorToOnnx(det).subarray(0, 40), 'cut.onnx'), Error, /^cut.onnx: not/);
});

test.run();
