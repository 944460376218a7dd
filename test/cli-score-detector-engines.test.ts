// `vigil score` on a detector's ONNX file writes the same scores with --engine native (the file imported
// into vigil's forest/SVM/RBM: scoreSamples) and --engine onnxruntime (the graph run as it is, its score
// output turned into vigil's convention): for vigil's own exports (output anomaly_score) and for
// scikit-learn's IsolationForest and OneClassSVM in skl2onnx's layout (threshold - scores), to 1e-5
// relative, and those are minus scikit-learn's score_samples (forest) / decision_function (SVM). A graph
// with ai.onnx.ml nodes that is no detector vigil reads still runs under onnxruntime: its first output.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../ts/cli.ts';
import type { Detector } from '../ts/models/detectors/detector.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import type { TabularInput } from '../ts/models/detectors/matrix.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import { RBM } from '../ts/models/detectors/rbm.ts';
import { DataType, GraphBuilder, ML_DOMAIN, valueInfo } from '../ts/models/onnx/build.ts';
import { exportOnnx } from '../ts/models/onnx/export/index.ts';
import { readNpy, writeNpy } from '../ts/models/preprocessing/npy.ts';
import { tensor, type Tensor } from '../ts/models/tensor.ts';
import { randomF32, rng } from './helpers/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-score-detectors-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const TOL = 1e-5;

async function vigil(...argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(argv, { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) }, progressStream: null });
  return { code, err: err.join('') };
}

function writeRows(name: string, x: Tensor<Float32Array>): string {
  const path = join(dir, `${name}-x.npy`);
  writeFileSync(path, writeNpy({ dtype: 'float32', shape: [...x.shape], data: x.data }));
  return path;
}

/** Scores `model` with one engine; the written .npy must be float32 [rows]. */
async function score(model: string, x: string, engine: 'native' | 'onnxruntime', rows: number): Promise<{ scores: Float32Array; err: string }> {
  const y = join(dir, `y-${engine}.npy`);
  const r = await vigil('score', '--model', model, '--input', x, '--output', y, '--engine', engine);
  assert.is(r.code, 0, r.err);
  const out = readNpy(readFileSync(y));
  assert.is(out.dtype, 'float32');
  assert.equal(out.shape, [rows], `${engine}: one score per row`);
  return { scores: out.data as Float32Array, err: r.err };
}

/** Both engines on one file: they agree to TOL relative to max(|score|, scale), and the onnxruntime run says what it read. */
async function bothEngines(model: string, x: string, rows: number, reads: RegExp, scale = 1): Promise<Float32Array> {
  const native = await score(model, x, 'native', rows);
  assert.match(native.err, /native \(vigil detector\).*vigil's anomaly score \[/);
  const ort = await score(model, x, 'onnxruntime', rows);
  assert.match(ort.err, reads);
  for (let i = 0; i < rows; i++) {
    const a = native.scores[i]!, b = ort.scores[i]!;
    assert.ok(Math.abs(a - b) <= TOL * Math.max(Math.abs(a), scale), `${model} row ${i}: native ${a} vs onnxruntime ${b}`);
  }
  return native.scores;
}

test('vigil\'s IsolationForest, OneClassSVM and RBM exports: both engines write scoreSamples (anomaly_score)', async () => {
  const r = rng(11);
  const train = tensor(randomF32(r, 200 * 5), [200, 5]);
  const x = tensor(Float32Array.from(randomF32(r, 40 * 5), (v, i) => (i < 25 ? v * 4 : v)), [40, 5]);
  const xPath = writeRows('vigil', x);
  const cases: [string, Detector<TabularInput>, (d: Detector<TabularInput>) => number][] = [
    ['iforest', new IsolationForest({ nEstimators: 20, seed: 5 }), () => 1],
    ['ocsvm', new OneClassSVM({ nu: 0.1, gamma: 0.5 }), (d) => Math.max(1, Math.abs((d as OneClassSVM).rho))],
    ['rbm', new RBM({ hiddenUnits: 6, epochs: 2, seed: 4 }), () => 1],
  ];
  for (const [name, make, scale] of cases) {
    const det = await make.fit(train);
    const file = join(dir, `vigil-${name}.onnx`);
    await exportOnnx(det as Detector<never>, file);
    const got = await bothEngines(file, xPath, 40, /onnxruntime \(cpu|cuda\).*vigil's anomaly score \(anomaly_score\) \[40\]/, scale(det));
    // Higher = more anomalous: the detector's own scoreSamples, not scikit-learn's sign.
    assert.equal(Array.from(got), Array.from(await det.scoreSamples(x)), `${name}: native writes scoreSamples`);
  }
});

interface SklearnCase {
  name: string;
  kind: 'IsolationForest' | 'OneClassSVM';
  file: string;
  rows: number;
  xNear?: number[];
  offset: number;
  scoreSamples: number[];
  decisionFunction: number[];
}

test('skl2onnx\'s IsolationForest and OneClassSVM: both engines write threshold - scores, minus scikit-learn\'s score', async () => {
  const DIR = new URL('./fixtures/onnx_sklearn/', import.meta.url);
  const fx = JSON.parse(readFileSync(new URL('onnx_sklearn.json', DIR), 'utf8')) as { cols: number; x: number[]; cases: SklearnCase[] };
  const kinds = new Set<string>();
  for (const c of fx.cases) {
    kinds.add(c.kind);
    const xPath = writeRows(c.name, tensor(Float32Array.from([...fx.x, ...(c.xNear ?? [])]), [c.rows, fx.cols]));
    // An SVM's decision value is a difference of terms the size of ρ = -offset_: float32 rounding is relative to that.
    const scale = c.kind === 'OneClassSVM' ? Math.max(1, Math.abs(c.offset)) : 1;
    const got = await bothEngines(fileURLToPath(new URL(c.file, DIR)), xPath, c.rows, /onnxruntime \(cpu|cuda\).*vigil's anomaly score \(-?[\d.e-]+ - scores\)/, scale);
    const want = c.kind === 'IsolationForest' ? c.scoreSamples.map((v) => -v) : c.decisionFunction.map((v) => -v);
    for (let i = 0; i < c.rows; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) <= TOL * Math.max(Math.abs(want[i]!), scale), `${c.file} row ${i}: ${got[i]} vs scikit-learn's ${want[i]}`);
    }
  }
  assert.equal([...kinds].sort(), ['IsolationForest', 'OneClassSVM']);
});

test('an ai.onnx.ml regressor that is no detector: onnxruntime writes its first output and says so; native refuses it', async () => {
  // One tree: x0 <= 0.5 -> 10, else 20 (a regression tree, not an isolation forest's path lengths).
  const g = new GraphBuilder();
  g.reserve('X', 'variable');
  g.add('TreeEnsembleRegressor', ['X'], {
    nodes_treeids: { ints: [0, 0, 0] }, nodes_nodeids: { ints: [0, 1, 2] }, nodes_featureids: { ints: [0, 0, 0] },
    nodes_modes: { strings: ['BRANCH_LEQ', 'LEAF', 'LEAF'] }, nodes_values: { floats: [0.5, 0, 0] },
    nodes_truenodeids: { ints: [1, 0, 0] }, nodes_falsenodeids: { ints: [2, 0, 0] },
    target_treeids: { ints: [0, 0] }, target_nodeids: { ints: [1, 2] }, target_ids: { ints: [0, 0] }, target_weights: { floats: [10, 20] },
    n_targets: { i: 1 }, aggregate_function: { s: 'SUM' },
  }, ['variable'], ML_DOMAIN);
  const model = join(dir, 'regressor.onnx');
  writeFileSync(model, g.toBytes({ inputs: [valueInfo('X', DataType.FLOAT, ['N', 2])], outputs: [valueInfo('variable', DataType.FLOAT, ['N', 1])] }));
  const x = join(dir, 'regressor-x.json');
  writeFileSync(x, JSON.stringify([[0, 1], [1, 0], [0.5, 3]]));
  const y = join(dir, 'regressor-y.json');
  const ort = await vigil('score', '--model', model, '--input', x, '--output', y, '--engine', 'onnxruntime');
  assert.is(ort.code, 0, ort.err);
  assert.match(ort.err, /note: ONNX file '.*regressor\.onnx' looks like a detector, but vigil does not read it as one \(.+\); writing its first output/);
  assert.match(ort.err, /first output 'variable' \[3, 1\]/);
  assert.equal(JSON.parse(readFileSync(y, 'utf8')), [[10], [20], [10]]);
  const native = await vigil('score', '--model', model, '--input', x, '--output', y, '--engine', 'native');
  assert.is(native.code, 1);
  assert.match(native.err, /regressor\.onnx/);
});

test('--help says which output is written', async () => {
  const out: string[] = [];
  assert.is(await main(['score', '--model', 'm.onnx', '--help'], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true }, progressStream: null }), 0);
  const help = out.join('');
  assert.match(help, /a detector file .*vigil's anomaly score of each row, float32 \[N\], HIGHER = MORE\s+ANOMALOUS/s);
  assert.match(help, /any other ONNX file: its first output/);
});

test.run();
