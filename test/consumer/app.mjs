// A consuming app, run by test/consumer.test.ts from a fresh project where vigil was installed from
// its packed tarball: plain JavaScript importing 'vigil' the way a user would. Prints one JSON line
// with what it checked; any failure throws (exit code 1).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backend, CharTokenizer, CREDITCARD_COLUMNS, Dense, detectorToOnnx, Embedding, exportOnnx, IsolationForest, loadCreditcard, loadCreditcardAsync,
  loadDetector, loadPhishing, loadPhishingAsync, LSTM, padSequences, Sequential, tensor,
} from 'vigil';

// onnxruntime-node is vigil's dependency: resolve it from vigil's folder, not the app's.
const ort = createRequire(import.meta.resolve('vigil'))('onnxruntime-node');
const dir = mkdtempSync(join(tmpdir(), 'vigil-app-'));
const out = {};

const b = backend();
assert.equal(typeof b.simd, 'string');
out.backend = { simd: b.simd, cuda: b.cuda };

// A tiny char-level LSTM: train, score, save/load, ONNX through onnxruntime's CPU provider.
const texts = ['http://paypal.com.login.xyz/verify', 'https://github.com/', 'http://bank.secure-update.top/a', 'https://example.org/'];
const labels = Float32Array.of(1, 0, 1, 0);
const tokenizer = new CharTokenizer().fitOnTexts(texts);
const padded = padSequences(tokenizer.textsToSequences(texts), { maxlen: 24 });
const x = { tokens: tensor(padded.tokens, [padded.batch, padded.time]), lengths: padded.lengths };
const model = new Sequential([new Embedding(tokenizer.vocabSize, 8), new LSTM(6), new Dense(1, { activation: 'sigmoid' })], { seed: 1 });
model.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
const history = await model.fit(x, labels, { epochs: 2, batchSize: 2 });
assert.equal(history.epochs.length, 2);
assert.ok(history.epochs.every((e) => Number.isFinite(e.loss)));
const probs = await model.predict(x);
assert.deepEqual(probs.shape, [4, 1]);
assert.ok(probs.data.every((p) => p > 0 && p < 1));
await model.save(join(dir, 'm.vigil'), { preprocessing: { tokenizer, pad: { maxlen: 24 } } });
const { model: loaded, preprocessing } = await Sequential.load(join(dir, 'm.vigil'));
const again = await loaded.predict(preprocessing.encode(texts));
for (let i = 0; i < 4; i++) assert.ok(Math.abs(again.data[i] - probs.data[i]) < 1e-6, 'loaded model scores the same');

const onnx = await exportOnnx(model, join(dir, 'm.onnx'));
assert.deepEqual(readFileSync(join(dir, 'm.onnx')), Buffer.from(onnx));
const ids = BigInt64Array.from(padded.tokens, (v) => BigInt(v));
let session = await ort.InferenceSession.create(onnx, { executionProviders: ['cpu'] });
const lstmOut = (await session.run({ tokens: new ort.Tensor('int64', ids, [padded.batch, padded.time]) }))[session.outputNames[0]];
await session.release();
for (let i = 0; i < 4; i++) assert.ok(Math.abs(lstmOut.data[i] - probs.data[i]) < 1e-5, `onnxruntime row ${i}`);
out.lstm = { probs: Array.from(probs.data, (p) => +p.toFixed(4)), onnxBytes: onnx.length };

// An isolation forest on a seeded table with one far outlier.
let s = 7;
const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
const rows = Array.from({ length: 200 }, () => [rand(), rand(), rand()]);
const forest = await new IsolationForest({ nEstimators: 50, seed: 3 }).fit(rows);
const scores = await forest.scoreSamples([[0.5, 0.5, 0.5], [9, -9, 9]]);
assert.ok(scores[1] > scores[0], 'the outlier scores higher');
const flags = await forest.predict([[0.5, 0.5, 0.5], [9, -9, 9]]);
assert.deepEqual(Array.from(flags), [0, 1]);
await forest.save(join(dir, 'f.vigil'));
const forest2 = await loadDetector(join(dir, 'f.vigil'));
assert.deepEqual(Array.from(await forest2.scoreSamples([[9, -9, 9]])), [scores[1]]);
session = await ort.InferenceSession.create(detectorToOnnx(forest), { executionProviders: ['cpu'] });
const forestOut = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.of(0.5, 0.5, 0.5, 9, -9, 9), [2, 3]) });
await session.release();
for (let i = 0; i < 2; i++) assert.ok(Math.abs(forestOut.anomaly_score.data[i] - scores[i]) < 1e-5, `forest onnxruntime row ${i}`);
out.forest = { scores: Array.from(scores, (v) => +v.toFixed(4)) };

// The experiments' data is not in the package: the loader says so.
assert.throws(() => loadPhishing(), /bundled data, which is in vigil's repository, not the npm package/);
// The async loaders run the installed package's compiled worker (dist/offthread/entry.js).
await assert.rejects(loadPhishingAsync(), /bundled data, which is in vigil's repository, not the npm package/);
const cc = join(dir, 'cc.csv');
writeFileSync(cc, `${[...CREDITCARD_COLUMNS, 'Class'].join(',')}\n${Array.from({ length: 30 }, (_, k) => k / 4).join(',')},1\n`);
assert.deepEqual(await loadCreditcardAsync(cc), loadCreditcard(cc));
out.bundledData = 'explained';

console.log(JSON.stringify(out));
