// scikit-learn's IsolationForest and OneClassSVM in skl2onnx's ONNX layout (fixtures written by
// test/fixtures/make_onnx_sklearn_fixtures.py on KDD Cup 99 http rows) import into vigil's native forest
// and SVM and give scikit-learn's scores to 1e-5 relative; onnxruntime-node on the same files gives them
// too (the fixtures' graphs are right). Then the importer's errors, on mutated copies of those files, and
// importOnnx's dispatch of such files (with `vigil import` and `vigil score --engine native`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { main } from '../ts/cli.ts';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import type { Detector } from '../ts/models/detectors/detector.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import type { TabularInput } from '../ts/models/detectors/matrix.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import { detectorFromOnnx, detectorToOnnx, importDetectorOnnx } from '../ts/models/onnx/detectors/index.ts';
import { decodeModel, encodeModel, type AttributeProto, type ModelProto, type NodeProto } from '../ts/models/onnx/proto.ts';
import { GraphReader } from '../ts/models/onnx/read.ts';
import { importOnnx } from '../ts/models/onnx/import/index.ts';
import { readNpy } from '../ts/models/preprocessing/npy.ts';
import { tensor, type Tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { rng } from './helpers/random.ts';

interface Case {
  name: string;
  kind: 'IsolationForest' | 'OneClassSVM';
  file: string;
  params: Record<string, unknown>;
  rows: number;
  xNear?: number[];
  offset: number;
  maxSamples?: number;
  trees?: number;
  gamma?: number;
  supportVectors?: number;
  scoreSamples: number[];
  decisionFunction: number[];
  predict: number[];
}
const DIR = new URL('./fixtures/onnx_sklearn/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('onnx_sklearn.json', DIR), 'utf8')) as { cols: number; x: number[]; cases: Case[] };
const bytesOf = (c: Case) => new Uint8Array(readFileSync(new URL(c.file, DIR)));
const caseNamed = (name: string) => fixture.cases.find((c) => c.name === name)!;
const rowsOf = (c: Case): Tensor<Float32Array> => tensor(Float32Array.from([...fixture.x, ...(c.xNear ?? [])]), [c.rows, fixture.cols]);
const TOL = 1e-5;

/** The tolerance of a decision value: relative to |value| and, for an SVM, to ρ, the size of the terms whose difference it is. */
const tolOf = (c: Case, v: number) => TOL * Math.max(1, Math.abs(v), c.kind === 'OneClassSVM' ? Math.abs(c.offset) : 0);

/** vigil's decisionFunction is minus scikit-learn's; predict 1 is scikit-learn's -1. */
async function checkDetector(c: Case, det: Detector<TabularInput>, label: string): Promise<void> {
  const x = rowsOf(c);
  const dec = await det.decisionFunction(x);
  const score = await det.scoreSamples(x);
  const predicted = await det.predict(x);
  for (let i = 0; i < c.rows; i++) {
    const want = c.decisionFunction[i]!;
    assert.ok(Math.abs(-dec[i]! - want) <= tolOf(c, want), `${c.name} ${label} row ${i}: decision ${-dec[i]!} vs sklearn ${want}`);
    // IsolationForest: scoreSamples = -score_samples; OneClassSVM: scoreSamples = -decision_function.
    const s = c.kind === 'IsolationForest' ? -c.scoreSamples[i]! : -want;
    assert.ok(Math.abs(score[i]! - s) <= tolOf(c, s), `${c.name} ${label} row ${i}: score ${score[i]} vs ${s}`);
    if (Math.abs(want) > tolOf(c, want)) assert.is(predicted[i] === 1 ? -1 : 1, c.predict[i], `${c.name} ${label} row ${i}: predict`);
  }
}

async function runOrt(bytes: Uint8Array, x: Tensor<Float32Array>): Promise<{ scores: Float32Array; label: BigInt64Array }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const out = await session.run({ X: new ort.Tensor('float32', x.data, x.shape) });
    return { scores: out.scores!.data as Float32Array, label: out.label!.data as BigInt64Array };
  } finally {
    await session.release();
  }
}

async function checkOrt(c: Case, bytes: Uint8Array, label: string): Promise<void> {
  const { scores, label: lab } = await runOrt(bytes, rowsOf(c));
  assert.is(scores.length, c.rows);
  for (let i = 0; i < c.rows; i++) {
    const want = c.decisionFunction[i]!;
    assert.ok(Math.abs(scores[i]! - want) <= tolOf(c, want), `${c.name} ${label} row ${i}: onnxruntime ${scores[i]} vs sklearn ${want}`);
    if (Math.abs(want) > tolOf(c, want)) assert.is(Number(lab[i]), c.predict[i], `${c.name} ${label} row ${i}: onnxruntime label`);
  }
}

for (const c of fixture.cases) {
  test(`${c.name}: imported into vigil's native ${c.kind}, scikit-learn's scores to ${TOL} relative`, async () => {
    const det = detectorFromOnnx(bytesOf(c), c.file);
    if (c.kind === 'IsolationForest') {
      const f = det as IsolationForest;
      assert.ok(f instanceof IsolationForest);
      assert.equal([f.nEstimators, f.forest.maxSamples, f.nFeatures], [c.trees, c.maxSamples, fixture.cols]);
      assert.is(f.threshold, Math.fround(-c.offset), 'threshold = -offset_ (a float32 in the graph)');
    } else {
      const s = det as OneClassSVM;
      assert.ok(s instanceof OneClassSVM);
      assert.equal([s.kernel, s.rhoThreshold, s.threshold, s.dualCoef.length, s.nFeatures], [c.params.kernel, true, 0, c.supportVectors, fixture.cols]);
      assert.ok(Math.abs(s.gammaValue - c.gamma!) <= 1e-7 * c.gamma!, `gamma ${s.gammaValue} vs ${c.gamma}`);
      assert.ok(Math.abs(s.rho - c.offset) <= 1e-7 * Math.abs(c.offset), `rho ${s.rho} vs offset_ ${c.offset}`);
    }
    await checkDetector(c, det, 'imported');
  });

  test(`${c.name}: onnxruntime-node on the fixture and on vigil's re-export gives scikit-learn's scores`, async () => {
    await checkOrt(c, bytesOf(c), 'fixture');
    const det = detectorFromOnnx(bytesOf(c), c.file);
    const again = detectorToOnnx(det);
    await checkOrt(c, again, 're-export');
    await checkDetector(c, detectorFromOnnx(again, 're-export'), 're-imported');
  });
}

// ---------------------------------------------------------------------------------------------
// Mutated files

const utf8 = new TextEncoder();
const load = (name: string): ModelProto => decodeModel(bytesOf(caseNamed(name)));
const nodesOf = (m: ModelProto, op: string) => m.graph!.node!.filter((n) => n.op_type === op);
const attrOf = (n: NodeProto, name: string): AttributeProto => n.attribute!.find((a) => a.name === name)!;
const importOf = (m: ModelProto) => importDetectorOnnx(new GraphReader(decodeModel(encodeModel(m)), 'mutated.onnx'));

const bits = new Float32Array(1);
const ints = new Int32Array(bits.buffer);
/** The next float32 above t (t float32). */
function nextUp(t: number): number {
  if (t === 0) return 1.401298464324817e-45;
  bits[0] = t;
  ints[0] += t > 0 ? 1 : -1;
  return bits[0];
}

/**
 * Every split of the forest rewritten in `mode` with the same meaning on float32 rows: x < next(t) is
 * x <= t; x > t and x >= next(t) are its negation, so the children swap.
 */
function rewriteModes(m: ModelProto, mode: 'BRANCH_LT' | 'BRANCH_GT' | 'BRANCH_GTE'): void {
  for (const n of nodesOf(m, 'TreeEnsembleRegressor')) {
    const modes = attrOf(n, 'nodes_modes'), values = attrOf(n, 'nodes_values');
    const t = attrOf(n, 'nodes_truenodeids'), f = attrOf(n, 'nodes_falsenodeids');
    modes.strings!.forEach((s, k) => {
      if (new TextDecoder().decode(s) === 'LEAF') return;
      modes.strings![k] = utf8.encode(mode);
      if (mode !== 'BRANCH_GT') values.floats![k] = nextUp(values.floats![k]!);
      if (mode !== 'BRANCH_LT') [t.ints![k], f.ints![k]] = [f.ints![k]!, t.ints![k]!];
    });
  }
}

test('BRANCH_LT, BRANCH_GT and BRANCH_GTE trees import to the same forest (and onnxruntime agrees)', async () => {
  const c = caseNamed('iforest_kdd_features');
  for (const mode of ['BRANCH_LT', 'BRANCH_GT', 'BRANCH_GTE'] as const) {
    const m = load(c.name);
    rewriteModes(m, mode);
    await checkOrt(c, encodeModel(m), mode);
    await checkDetector(c, importOf(m)!, mode);
  }
});

test('tree errors name the node, tree and attribute', () => {
  const name = "mutated.onnx: TreeEnsembleRegressor node 'TreeEnsembleRegressor2'";
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const third = (m: ModelProto) => nodesOf(m, 'TreeEnsembleRegressor')[2]!;
  let m = load('iforest_kdd');
  attrOf(third(m), 'nodes_modes').strings![0] = utf8.encode('BRANCH_EQ');
  throwsError(() => importOf(m), Error, new RegExp(`^${esc}: node 0 of tree 0 has mode BRANCH_EQ; vigil's trees split by order`));
  m = load('iforest_kdd');
  attrOf(third(m), 'nodes_modes').strings![0] = utf8.encode('BRANCH_MAYBE');
  throwsError(() => importOf(m), Error, new RegExp(`^${esc}: node 0 of tree 0 has an unknown mode 'BRANCH_MAYBE'`));
  m = load('iforest_kdd');
  third(m).attribute = third(m).attribute!.filter((a) => a.name !== 'nodes_truenodeids');
  throwsError(() => importOf(m), Error, new RegExp(`^${esc} lacks attribute 'nodes_truenodeids'`));
  m = load('iforest_kdd');
  attrOf(third(m), 'nodes_values').floats!.pop();
  throwsError(() => importOf(m), Error, new RegExp(`^${esc}: attribute 'nodes_values' has \\d+ entries, 'nodes_treeids' has \\d+`));
  m = load('iforest_kdd');
  attrOf(third(m), 'target_weights').floats!.pop();
  throwsError(() => importOf(m), Error, /attribute 'target_weights' has \d+ entries, 'target_treeids' has \d+/);
  m = load('iforest_kdd');
  attrOf(third(m), 'target_nodeids').ints![0] = 99999;
  throwsError(() => importOf(m), Error, /target 0 points at node 99999 of tree 0, which does not exist/);
  m = load('iforest_kdd');
  attrOf(third(m), 'nodes_falsenodeids').ints![0] = 99999;
  throwsError(() => importOf(m), Error, /node 0 of tree 0 has child 99999, which does not exist/);
  // A leaf under node 1 turned into a split whose children are node 1: a cycle, with the root intact.
  m = load('iforest_kdd');
  const t = third(m);
  const modes = attrOf(t, 'nodes_modes').strings!.map((s) => new TextDecoder().decode(s));
  const leaf = modes.findIndex((s, k) => s === 'LEAF' && k > 1 && k < attrOf(t, 'nodes_falsenodeids').ints![0]!);
  const targets = attrOf(t, 'target_nodeids').ints!;
  targets[targets.indexOf(leaf)] = targets[targets.length - 1]!;
  attrOf(t, 'nodes_modes').strings![leaf] = utf8.encode('BRANCH_LEQ');
  attrOf(t, 'nodes_truenodeids').ints![leaf] = 1;
  attrOf(t, 'nodes_falsenodeids').ints![leaf] = 1;
  throwsError(() => importOf(m), Error, /tree 0 has a cycle through node 1/);
  m = load('iforest_kdd');
  attrOf(third(m), 'post_transform').s = utf8.encode('LOGISTIC');
  throwsError(() => importOf(m), Error, /post_transform 'LOGISTIC' is not supported/);
});

test('forest graphs without scikit-learn\'s scoring, or with steps before the trees, are refused', () => {
  let m = load('iforest_kdd');
  const two = m.graph!.initializer!.find((t) => t.name === nodesOf(m, 'Pow')[0]!.input![0])!;
  two.raw_data = new Uint8Array(new Float32Array([3]).buffer);
  throwsError(() => importOf(m), Error, /no isolation-forest scoring tail \(Pow\(2, -aggregate \/ constant\)\)/);
  m = load('iforest_kdd');
  nodesOf(m, 'Sum')[0]!.input!.pop();
  throwsError(() => importOf(m), Error, /Sum node '\w+' adds 24 values but the graph has 25 TreeEnsembleRegressor nodes/);
  m = load('iforest_kdd');
  const log = nodesOf(m, 'Log')[0]!;
  log.op_type = 'Erf';
  throwsError(() => importOf(m), Error, new RegExp(`Erf node '${log.name}' is not an elementwise op vigil evaluates`));
  m = load('iforest_kdd');
  const gather = nodesOf(m, 'Gather')[0]!;
  gather.input![0] = 'scaled';
  m.graph!.node!.unshift({ op_type: 'Scaler', domain: 'ai.onnx.ml', name: 'Scaler', input: ['X'], output: ['scaled'] });
  throwsError(() => importOf(m), Error, /TreeEnsembleRegressor node '\w+' reads 'scaled', computed by Scaler node 'Scaler'; vigil imports the detector alone/);
});

test('SVM errors: classifiers, missing or inconsistent attributes, steps before the SVM', () => {
  const svm = (m: ModelProto) => nodesOf(m, 'SVMRegressor')[0]!;
  let m = load('ocsvm_kdd_rbf');
  svm(m).op_type = 'SVMClassifier';
  throwsError(() => importOf(m), Error, /^mutated.onnx: SVMClassifier node 'SVM' is a classifier/);
  m = load('ocsvm_kdd_rbf');
  attrOf(svm(m), 'coefficients').floats!.pop();
  throwsError(() => importOf(m), Error, /^mutated.onnx: SVMRegressor node 'SVM': attribute 'coefficients' has 32 entries, n_supports is 33/);
  m = load('ocsvm_kdd_rbf');
  attrOf(svm(m), 'support_vectors').floats!.pop();
  throwsError(() => importOf(m), Error, /attribute 'support_vectors' has \d+ entries, not a multiple of n_supports 33/);
  m = load('ocsvm_kdd_rbf');
  svm(m).attribute = svm(m).attribute!.filter((a) => a.name !== 'rho');
  throwsError(() => importOf(m), Error, /SVMRegressor node 'SVM' lacks attribute 'rho'/);
  m = load('ocsvm_kdd_rbf');
  attrOf(svm(m), 'kernel_type').s = utf8.encode('PRECOMPUTED');
  throwsError(() => importOf(m), Error, /kernel_type 'PRECOMPUTED' is not one of LINEAR, POLY, RBF, SIGMOID/);
  m = load('ocsvm_kdd_poly');
  attrOf(svm(m), 'kernel_params').floats![2] = 2.5;
  throwsError(() => importOf(m), Error, /the degree in kernel_params is 2.5/);
  m = load('ocsvm_kdd_rbf');
  attrOf(svm(m), 'kernel_params').floats![0] = 0;
  throwsError(() => importOf(m), Error, /gamma \(kernel_params\[0\]\) is 0; the rbf kernel needs gamma > 0/);
  m = load('ocsvm_kdd_rbf');
  m.graph!.input![0]!.type!.tensor_type!.shape!.dim![1] = { dim_value: 40 };
  throwsError(() => importOf(m), Error, /the support vectors have 38 features but the input 'X' has 40 columns/);
  m = load('ocsvm_kdd_rbf');
  svm(m).input = ['scaled'];
  m.graph!.node!.unshift({ op_type: 'Scaler', domain: 'ai.onnx.ml', name: 'Scaler', input: ['X'], output: ['scaled'] });
  throwsError(() => importOf(m), Error, /reads 'scaled', computed by Scaler node 'Scaler'/);
});

test('mutated files import or fail with an Error: no crash, no hang', () => {
  const r = rng(99);
  const sources = ['iforest_kdd_features', 'ocsvm_kdd_rbf', 'ocsvm_kdd_poly'].map((n) => bytesOf(caseNamed(n)));
  let imported = 0, failed = 0;
  for (let k = 0; k < 300; k++) {
    const src = sources[k % sources.length]!;
    const bytes = src.slice(0, k % 10 === 0 ? Math.floor(r() * src.length) : src.length);
    for (let m = 1 + Math.floor(r() * 4); m > 0; m--) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
    try {
      detectorFromOnnx(bytes, 'fuzz');
      imported++;
    } catch (err) {
      assert.ok(err instanceof Error, `mutation ${k}: threw ${String(err)}`);
      assert.match((err as Error).message, /^fuzz: /, `mutation ${k}: the message names the file`);
      failed++;
    }
  }
  assert.ok(imported > 0 && failed > 0, `both outcomes occur (${imported} imported, ${failed} refused)`);
});

// ---------------------------------------------------------------------------------------------
// importOnnx's dispatch and the CLI

const tmp = mkdtempSync(join(tmpdir(), 'vigil-onnx-sklearn-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function vigil(...argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(argv, { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) }, progressStream: null });
  return { code, err: err.join('') };
}

test('importOnnx, vigil import and vigil score --engine native take skl2onnx files to the detector importer', async () => {
  for (const c of fixture.cases) {
    const file = fileURLToPath(new URL(c.file, DIR));
    const imported = await importOnnx(file);
    assert.is(imported.kind, 'detector', c.file);
    assert.ok(imported.model instanceof (c.kind === 'IsolationForest' ? IsolationForest : OneClassSVM), `${c.file}: a ${c.kind}`);
    assert.is(imported.preprocessing, null);
    await checkDetector(c, imported.model as Detector<TabularInput>, 'importOnnx');

    const saved = join(tmp, `${c.name}.vigil`);
    const imp = await vigil('import', file, '--out', saved);
    assert.is(imp.code, 0, imp.err);
    await checkDetector(c, await loadDetector(saved), 'vigil import');

    // The native engine writes vigil's scoreSamples of the rows as given (the graph's input X).
    const x = join(tmp, `${c.name}-x.json`);
    const rows = rowsOf(c);
    writeFileSync(x, JSON.stringify(Array.from({ length: c.rows }, (_, i) => Array.from(rows.data.subarray(i * fixture.cols, (i + 1) * fixture.cols)))));
    const y = join(tmp, `${c.name}-y.npy`);
    const r = await vigil('score', '--model', file, '--input', x, '--output', y, '--engine', 'native');
    assert.is(r.code, 0, r.err);
    assert.match(r.err, /native \(vigil detector\)/);
    const got = readNpy(readFileSync(y)).data as Float32Array;
    const want = await (imported.model as Detector<TabularInput>).scoreSamples(rows);
    assert.equal(Array.from(got), Array.from(want));
  }
  // A classifier is a detector graph vigil refuses by name, not a neural graph the Sequential importer trips on.
  const m = load('iforest_kdd');
  for (const n of nodesOf(m, 'TreeEnsembleRegressor')) n.op_type = 'TreeEnsembleClassifier';
  await rejectsError(importOnnx(encodeModel(m)), Error, /TreeEnsembleClassifier node '\w+' is a classifier; vigil imports scikit-learn's IsolationForest/);
});

test.run();
