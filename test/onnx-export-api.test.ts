// exportOnnx's contract around the graph: the metadata that makes one file the whole model, the
// doc_string, the atomic write, clear errors for what has no ONNX form, detector dispatch, and
// `vigil export`. (The graphs' numbers are checked in onnx-export.test.ts and onnx-export-conv.test.ts.)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../ts/cli.ts';
import {
  Bidirectional, CharTokenizer, Conv1D, Dense, Embedding, GlobalMaxPooling1D, IsolationForest, Layer, LSTM, Preprocessing, Sequential, SimpleRNN,
  TCN, TimeDistributed,
} from '../ts/index.ts';
import type { CallContext, Flow, Shape } from '../ts/models/layers/layer.ts';
import { META } from '../ts/models/onnx/metadata.ts';
import { decodeModel, encodeModel } from '../ts/models/onnx/proto.ts';
import { importOnnx } from '../ts/models/onnx/import/index.ts';
import { GraphReader } from '../ts/models/onnx/read.ts';
import { exportOnnx } from '../ts/models/onnx/export/index.ts';
import { detectorToOnnx } from '../ts/models/onnx/detectors/index.ts';
import { rejectsError } from './helpers/errors.ts';
import { int64, randomizeWeights, runOrt, TOLERANCE } from './helpers/onnx.ts';
import { randomF32, rng } from './helpers/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-onnx-export-'));
const path = (name: string) => join(dir, name);

const TEXTS = ['GET /index.html?id=1', "q=' OR 1=1 --", '<script>alert(1)</script>', 'user=bob&page=2', '', 'x'];

async function textModel(): Promise<{ model: Sequential; pre: Preprocessing }> {
  const tokenizer = new CharTokenizer({ oovToken: '<oov>' }).fitOnTexts(TEXTS.slice(0, 4));
  const model = new Sequential([new Embedding(tokenizer.vocabSize, 6), new LSTM(8, { returnSequences: true }), new GlobalMaxPooling1D(),
    new Dense(1, { activation: 'sigmoid' })], { seed: 3, name: 'urls' });
  model.build([null]);
  model.compile({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 2e-3 }, metrics: ['accuracy'] });
  randomizeWeights(model, 4);
  return { model, pre: new Preprocessing({ tokenizer, pad: { maxlen: 24, padding: 'pre', truncating: 'pre' } }) };
}

test('metadata and doc_string carry the whole model; raw texts score the same through both engines', async () => {
  const { model, pre } = await textModel();
  const bytes = await exportOnnx(model, null, { preprocessing: pre });
  const m = decodeModel(bytes);
  assert.is(m.ir_version, 8);
  assert.equal(m.opset_import, [{ domain: '', version: 17 }]);
  const r = new GraphReader(m);
  const meta = r.metadata();
  assert.is(meta[META.kind], 'sequential');
  assert.equal(JSON.parse(meta[META.config]!), model.getConfig());
  assert.equal(JSON.parse(meta[META.compile]!), model.getCompileConfig());
  assert.equal(JSON.parse(meta[META.tokenizer]!), pre.tokenizer!.toJSON());
  assert.equal(JSON.parse(meta[META.padding]!), pre.pad);
  assert.is(meta[META.lengths], 'from-ids');
  assert.match(meta[META.score]!, /probability of class 1/);
  assert.ok(meta[META.version]);
  assert.match(m.doc_string!, /Input `tokens` int64 token ids \[batch, time\].*first non-zero id.*Output `output` float32 \[batch, 1\]/);
  assert.equal(r.inputs, ['tokens']);
  assert.equal(r.outputs, ['output']);
  const lstm = r.nodes.find((n) => n.op_type === 'LSTM')!;
  assert.equal(lstm.input!.slice(1, 4), ['lstm/W', 'lstm/R', 'lstm/B']);
  assert.ok(r.initializers.has('embedding/embeddings'));
  // The real use: strings -> Preprocessing.encode -> vigil; the same padded ids -> onnxruntime.
  const x = pre.encode(TEXTS) as { tokens: { data: Int32Array; shape: number[] }; lengths: Int32Array };
  const mine = await model.predict(x);
  const theirs = await runOrt(bytes, { tokens: int64(x.tokens.data, x.tokens.shape) });
  mine.data.forEach((v, i) => assert.ok(Math.abs(v - theirs.data[i]!) <= TOLERANCE, `text ${i}: ${v} vs ${theirs.data[i]}`));
});

test('with a path the file is written atomically and holds the returned bytes', async () => {
  const { model } = await textModel();
  const file = path('m.onnx');
  writeFileSync(file, 'old');
  const bytes = await exportOnnx(model, file);
  assert.ok(readFileSync(file).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), 'the file holds the returned bytes');
  await rejectsError(exportOnnx(model, path('missing-dir/m.onnx')), Error, /cannot save the model/);
  assert.not.ok(existsSync(path('missing-dir')));
  await rejectsError(exportOnnx(model, '' as string), TypeError, /path must be a non-empty string/);
});

class Custom extends Layer {
  readonly className = 'Custom';
  getConfig() { return {}; }
  build(s: Shape): Shape { this.built = true; this.outShape = s; return s; }
  async forward(x: Flow, _c: CallContext): Promise<Flow> { return x; }
  async backward(d: Float32Array): Promise<Float32Array | null> { return d; }
}

test('what has no ONNX form fails with an error naming it', async () => {
  const custom = new Sequential([new Dense(2, { inputShape: [3] }), new Custom()]);
  custom.build();
  await rejectsError(exportOnnx(custom), Error, /no ONNX exporter for layer 'custom' \(Custom\)/);
  const td = new Sequential([new TimeDistributed(new Conv1D(2, 1))]);
  td.build([4, 5, 3]);
  await rejectsError(exportOnnx(td), Error, /TimeDistributed\(Conv1D\); only TimeDistributed\(Dense\) exports/);
  const floats = new Sequential([new LSTM(2, { inputShape: [null, 3] })]);
  await rejectsError(exportOnnx(floats, null, { lengths: 'from-ids' }), RangeError, /'from-ids' needs a model that starts with an Embedding/);
  await rejectsError(exportOnnx(floats, null, { lengths: 'packed' as 'none' }), RangeError, /lengths must be one of/);
  await rejectsError(exportOnnx({} as Sequential), TypeError, /model must be a vigil Sequential or detector/);
  await rejectsError(exportOnnx(new Sequential([new Dense(1)])), TypeError, /not built yet/);
});

test('a fitted detector exports through the detectors\' own layout, written atomically', async () => {
  const r = rng(7);
  const x = { data: randomF32(r, 40 * 2), shape: [40, 2] };
  const forest = await new IsolationForest({ nEstimators: 5, seed: 1 }).fit(x);
  const bytes = await exportOnnx(forest, path('d.onnx'));
  assert.ok(readFileSync(path('d.onnx')).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  assert.equal(Buffer.from(bytes), Buffer.from(detectorToOnnx(forest)));
  // A Sequential's options are refused, not dropped.
  await rejectsError(exportOnnx(forest, null, { lengths: 'none' }), TypeError, /exportOnnx: option 'lengths' applies to Sequential models/);
  await rejectsError(exportOnnx(forest, null, { preprocessing: {} }), TypeError, /exportOnnx: option 'preprocessing' applies to Sequential models/);
});

test('vigil reads its own files back complete: weights bit for bit, preprocessing, compile settings', async () => {
  const { model, pre } = await textModel();
  const back = await importOnnx(await exportOnnx(model, null, { preprocessing: pre }));
  assert.is(back.kind, 'sequential');
  const m = back.model as Sequential;
  assert.equal(m.getConfig(), model.getConfig());
  assert.equal(m.getCompileConfig(), model.getCompileConfig());
  assert.equal(m.getWeights(), model.getWeights());
  assert.equal(back.preprocessing!.toJSON(), pre.toJSON());
  const x = pre.encode(TEXTS);
  assert.equal((await m.predict(x)).data, (await model.predict(x)).data);
  // Every weight layout: recurrent gate order both ways, Dense as Gemm and as MatMul, TCN and conv names.
  const other = new Sequential([new Bidirectional(new LSTM(4, { returnSequences: true }), { mergeMode: 'sum' }), new SimpleRNN(3, { returnSequences: true }),
    new TimeDistributed(new Dense(2)), new TCN({ nbFilters: 3, kernelSize: 2, dilations: [1, 2] }), new Dense(2, { activation: 'softmax' })], { seed: 9 });
  other.build([null, 5]);
  randomizeWeights(other, 10);
  const again = (await importOnnx(await exportOnnx(other))).model as Sequential;
  assert.equal(again.getWeights(), other.getWeights());
  assert.is(again.getCompileConfig(), null);
});

test('a vigil file whose metadata does not fit its initializers fails naming the problem', async () => {
  const { model } = await textModel();
  const m = decodeModel(await exportOnnx(model));
  const broken = (key: string, value: string) => encodeModel({ ...m, metadata_props: m.metadata_props!.map((e) => (e.key === key ? { key, value } : e)) });
  const config = model.getConfig();
  await rejectsError(importOnnx(broken(META.config, '{ nope')), Error, /vigil\.config is not valid JSON/);
  const wider = { ...config, layers: config.layers.map((l) => (l.className === 'LSTM' ? { ...l, config: { ...l.config, units: 9 } } : l)) };
  await rejectsError(importOnnx(broken(META.config, JSON.stringify(wider))), Error, /layer 'lstm' \(LSTM\): initializer 'lstm\/W' holds 192 values, the layer needs 216/);
  const renamed = { ...config, layers: [...config.layers, { className: 'Dense', name: 'dense_1', config: { units: 1, activation: 'linear', useBias: true, inputShape: null } }] };
  await rejectsError(importOnnx(broken(META.config, JSON.stringify(renamed))), Error, /layer 'dense_1' \(Dense\): no initializer 'dense_1\/kernel_t'/);
});

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null }, err: () => err.join('') };
}

test('vigil export: a saved model file to a runnable ONNX file with its preprocessing', async () => {
  const { model, pre } = await textModel();
  await model.save(path('m.vigil'), { preprocessing: pre });
  let c = capture();
  assert.is(await main(['export', '--model', path('m.vigil'), '--out', path('cli.onnx')], c.io), 0);
  assert.match(c.err(), /wrote .*cli\.onnx/);
  const meta = new GraphReader(decodeModel(readFileSync(path('cli.onnx')))).metadata();
  assert.equal(JSON.parse(meta[META.tokenizer]!), pre.tokenizer!.toJSON());
  assert.is(await main(['export', '--model', path('m.vigil'), '--out', path('cli2.onnx'), '--lengths', 'input'], capture().io), 0);
  assert.is(new GraphReader(decodeModel(readFileSync(path('cli2.onnx')))).metadata()[META.lengths], 'input');
  c = capture();
  assert.is(await main(['export', '--model', path('m.vigil')], c.io), 2);
  assert.match(c.err(), /--out FILE is required/);
  assert.is(await main(['export', '--model', path('m.vigil'), '--out', path('x.onnx'), '--lengths', 'all'], capture().io), 2);
  const forest = await new IsolationForest({ nEstimators: 3, seed: 2 }).fit({ data: randomF32(rng(8), 30 * 3), shape: [30, 3] });
  await forest.save(path('f.vigil'));
  assert.is(await main(['export', '--model', path('f.vigil'), '--out', path('f.onnx')], capture().io), 0);
  assert.is(new GraphReader(decodeModel(readFileSync(path('f.onnx')))).metadata()[META.detector], 'IsolationForest');
  writeFileSync(path('junk.vigil'), 'not a model');
  c = capture();
  assert.is(await main(['export', '--model', path('junk.vigil'), '--out', path('x.onnx')], c.io), 1);
  assert.match(c.err(), /junk\.vigil/);
  assert.not.ok(existsSync(path('x.onnx')));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
