import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { Sequential } from '../ts/models/sequential.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Dropout } from '../ts/models/layers/dropout.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { Flatten } from '../ts/models/layers/flatten.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { SimpleRNN } from '../ts/models/layers/simple_rnn.ts';
import { layerFromConfig } from '../ts/models/layers/registry.ts';
import type { Layer } from '../ts/models/layers/layer.ts';
import { CharTokenizer } from '../ts/models/preprocessing/tokenizer.ts';
import { padSequences } from '../ts/models/preprocessing/pad.ts';
import {
  FORMAT_VERSION, MAGIC, ModelFileError, Preprocessing, crc32Portable, decodeModelFile, encodeModelFile, saveModelFile,
} from '../ts/models/serialize.ts';
import type { ModelFileHeader, ModelFileProblem, SequentialJSON } from '../ts/models/serialize.ts';
import { tensor } from '../ts/models/tensor.ts';
import type { Tensor } from '../ts/models/tensor.ts';
import { randomF32, rng } from './helpers/random.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-save-'));
let fileNo = 0;
const fresh = (name = 'model') => join(dir, `${name}-${fileNo++}.vgm`);

/** Token ids 'pre'-padded with 0 to T, lengths in [2, T], labels: marker token V-1 present. */
function tokens(seed: number, n: number, T: number, V: number) {
  const r = rng(seed);
  const ids = new Int32Array(n * T);
  const lengths = new Int32Array(n);
  const y = new Float32Array(n);
  const cls = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const len = 2 + Math.floor(r() * (T - 1));
    lengths[i] = len;
    for (let t = T - len; t < T; t++) ids[i * T + t] = 1 + Math.floor(r() * (V - 2));
    if (r() < 0.5) {
      ids[i * T + T - 1 - Math.floor(r() * len)] = V - 1;
      y[i] = 1;
    }
    cls[i] = Math.floor(r() * 3);
  }
  return { x: { tokens: tensor(ids, [n, T]), lengths }, ids: tensor(ids, [n, T]), y, cls };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Saves, loads and checks that predictions and weights are bit-identical. */
async function roundTrip(m: Sequential, x: Parameters<Sequential['predict']>[0]) {
  const path = fresh();
  const before = await m.predict(x, { batchSize: 7 });
  await m.save(path);
  const { model, preprocessing } = await Sequential.load(path);
  assert.is(preprocessing, null);
  assert.is(model.summary(), m.summary());
  assert.equal(model.layers.map((l) => l.getConfig()), m.layers.map((l) => l.getConfig()));
  model.getWeights().forEach((w, i) => assert.equal(bits(w), bits(m.getWeights()[i]), `weight ${i}`));
  const after = await model.predict(x, { batchSize: 7 });
  assert.equal(after.shape, before.shape);
  assert.equal(bits(after.data), bits(before.data));
  return { model, path };
}

test('Embedding -> LSTM -> Dense: trained model round-trips bit-identically, compiled as saved', async () => {
  const d = tokens(1, 40, 9, 8);
  const m = new Sequential([new Embedding(8, 5, { maskZero: true }), new LSTM(7), new Dense(1, { activation: 'sigmoid' })], { seed: 3, name: 'clf' });
  m.compile({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 0.01, beta2: 0.99 }, metrics: ['accuracy'] });
  await m.fit(d.x, d.y, { epochs: 2, batchSize: 8 });
  const { model, path } = await roundTrip(m, d.x);
  assert.equal(decodeModelFile(readFileSync(path), path).header.compile, {
    loss: { name: 'binary_crossentropy', fromLogits: false },
    optimizer: { name: 'adam', config: { learningRate: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-7, amsgrad: false } },
    metrics: ['accuracy'],
  });
  assert.is(model.name, 'clf');
  assert.is(model.seed, 3);
  assert.equal(await model.evaluate(d.x, d.y), await m.evaluate(d.x, d.y));
  // maskZero travelled: without lengths, leading zeros are padding in both.
  assert.equal(bits((await model.predict(d.ids)).data), bits((await m.predict(d.ids)).data));
});

test('stacked LSTM with recurrent dropout and a softmax head round-trips', async () => {
  const d = tokens(2, 30, 8, 9);
  const m = new Sequential([
    new Embedding(9, 4), new LSTM(6, { returnSequences: true, recurrentDropout: 0.2 }), new LSTM(5), new Dense(3, { activation: 'softmax' }),
  ], { seed: 5 });
  m.compile({ loss: 'sparse_categorical_crossentropy', optimizer: 'rmsprop', metrics: ['acc'] });
  await m.fit(d.x, d.cls, { epochs: 1, batchSize: 10 });
  const { model } = await roundTrip(m, d.x);
  assert.equal(await model.evaluate(d.x, d.cls), await m.evaluate(d.x, d.cls));
});

test('SimpleRNN over float sequences (returnSequences, per-step Dense) round-trips', async () => {
  const n = 12, T = 5, F = 3;
  const x = tensor(randomF32(rng(7), n * T * F), [n, T, F]);
  const y = randomF32(rng(8), n * T * 2);
  const m = new Sequential([new SimpleRNN(6, { inputShape: [T, F], returnSequences: true }), new Dense(2, { activation: 'tanh' })], { seed: 2 });
  m.compile({ loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true } });
  await m.fit(x, y, { epochs: 2, batchSize: 4 });
  const { model } = await roundTrip(m, x);
  assert.equal(await model.evaluate(x, y), await m.evaluate(x, y));
});

test('Dense / Dropout / Flatten stacks round-trip (fixed-length tokens and plain features)', async () => {
  const d = tokens(3, 24, 6, 7);
  const a = new Sequential([
    new Embedding(7, 3, { inputLength: 6 }), new Flatten(), new Dense(8, { activation: 'relu' }), new Dropout(0.3),
    new Dense(1, { activation: 'sigmoid', useBias: false }),
  ], { seed: 9 });
  a.compile({ loss: 'binary_crossentropy', optimizer: 'nadam' });
  await a.fit(d.ids, d.y, { epochs: 2, batchSize: 6 });
  await roundTrip(a, d.ids);

  const x = tensor(randomF32(rng(10), 20 * 4), [20, 4]);
  const b = new Sequential([new Dense(5, { inputShape: [4], activation: 'relu' }), new Dropout(0.5), new Dense(3, { activation: 'softmax' })]);
  b.compile({ loss: 'categorical_crossentropy', optimizer: 'adam' });
  const { model } = await roundTrip(b, x);
  assert.is(model.countParams(), b.countParams());
});

test('an uncompiled model loads uncompiled; a custom optimizer object loads uncompiled too', async () => {
  const x = tensor(randomF32(rng(11), 6 * 3), [6, 3]);
  const m = new Sequential([new Dense(2, { inputShape: [3] })]);
  m.build();
  const { model } = await roundTrip(m, x);
  await rejectsError(() => model.evaluate(x, new Float32Array(12)), TypeError, /must be compiled/);

  const custom = { name: 'mine', learningRate: 0.1, iterations: 0, apply: async () => undefined };
  m.compile({ loss: 'mse', optimizer: custom });
  const again = await roundTrip(m, x);
  await rejectsError(() => again.model.evaluate(x, new Float32Array(12)), TypeError, /must be compiled/);
});

test('the tokenizer and padding travel: a loaded model scores raw strings exactly as before', async () => {
  const texts = ['http://example.com/login', 'https://paypa1.com.verify-account.ru/x', 'abc', 'mail.google.com', 'ЖЖ unicode?'];
  const tok = new CharTokenizer({ oovToken: '~' }).fitOnTexts(texts);
  const pad = { maxlen: 16, padding: 'pre' as const, truncating: 'pre' as const };
  const m = new Sequential([new Embedding(tok.vocabSize, 4), new LSTM(5), new Dense(1, { activation: 'sigmoid' })], { seed: 4 });
  m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  const p = padSequences(tok.textsToSequences(texts), pad);
  await m.fit({ tokens: tensor(p.tokens, [p.batch, p.time]), lengths: p.lengths }, [0, 1, 0, 0, 1], { epochs: 2, batchSize: 2 });
  const path = fresh('tok');
  await m.save(path, { preprocessing: { tokenizer: tok, pad, extra: { labels: ['benign', 'phishing'], threshold: 0.5 } } });
  const raw = ['http://never-seen.example/§', '', 'a'.repeat(40), ...texts];
  const want = await m.predict(new Preprocessing({ tokenizer: tok, pad }).encode(raw));
  const { model, preprocessing } = await Sequential.load(path);
  assert.ok(preprocessing instanceof Preprocessing);
  const pre = preprocessing as Preprocessing;
  assert.equal(pre.tokenizer?.toJSON(), tok.toJSON());
  assert.equal(pre.pad, { ...pad, value: 0 });
  assert.equal(pre.extra, { labels: ['benign', 'phishing'], threshold: 0.5 });
  const got = await model.predict(pre.encode(raw));
  assert.equal(bits(got.data), bits(want.data));
  // 'post' padding encodes without lengths (Sequential's lengths mean 'pre' padding).
  const post = new Preprocessing({ tokenizer: tok, pad: { maxlen: 8, padding: 'post' } }).encode(['ab']) as Tensor;
  assert.equal(post.shape, [1, 8]);
  throwsError(() => new Preprocessing({}).encode(['x']), TypeError, /no tokenizer/);
});

test('training continues after load exactly like the original with a fresh optimizer state', async () => {
  const d = tokens(4, 32, 7, 6);
  const spec = { loss: 'binary_crossentropy' as const, optimizer: { name: 'adam' as const, learningRate: 0.02 }, metrics: ['accuracy'] };
  const m = new Sequential([new Embedding(6, 4), new LSTM(6), new Dense(1, { activation: 'sigmoid' })], { seed: 6 });
  m.compile(spec);
  await m.fit(d.x, d.y, { epochs: 1, batchSize: 8 });
  const path = fresh();
  await m.save(path);
  const { model } = await Sequential.load(path);
  m.compile(spec); // what load gives: the same settings, a fresh optimizer state
  const h1 = await m.fit(d.x, d.y, { epochs: 3, batchSize: 8, seed: 1 });
  const h2 = await model.fit(d.x, d.y, { epochs: 3, batchSize: 8, seed: 1 });
  const strip = (h: typeof h1) => h.epochs.map(({ seconds: _s, ...rest }) => rest);
  assert.equal(strip(h2), strip(h1));
  assert.ok(h2.epochs[2].loss < h2.epochs[0].loss, `loss ${h2.epochs[0].loss} -> ${h2.epochs[2].loss}`);
  model.getWeights().forEach((w, i) => assert.equal(bits(w), bits(m.getWeights()[i])));
});

// ---------------------------------------------------------------------------------------------
// The format and its failures

let good: Uint8Array | null = null;
async function goodBytes(): Promise<Uint8Array> {
  if (!good) {
    const m = new Sequential([new Embedding(6, 3), new LSTM(4), new Dense(1, { activation: 'sigmoid' })], { seed: 1 });
    m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
    m.build([null]);
    const path = fresh();
    await m.save(path);
    good = new Uint8Array(readFileSync(path));
  }
  return good.slice();
}

async function loadFails(bytes: Uint8Array | null, problem: ModelFileProblem, pattern: RegExp): Promise<void> {
  const path = fresh('bad');
  if (bytes) writeFileSync(path, bytes);
  try {
    await Sequential.load(path);
  } catch (err) {
    assert.ok(err instanceof ModelFileError, `expected ModelFileError, got ${String(err)}`);
    assert.is((err as ModelFileError).problem, problem, (err as Error).message);
    assert.match((err as Error).message, pattern);
    assert.ok((err as Error).message.includes(path), 'the message names the path');
    assert.is((err as ModelFileError).path, path);
    return;
  }
  assert.unreachable(`expected ModelFileError (${problem})`);
}

/** The file with its header changed by `edit` and a valid checksum (a well-formed but wrong file). */
async function withHeader(edit: (h: ModelFileHeader & { [k: string]: unknown }) => void): Promise<Uint8Array> {
  const { header, weights } = decodeModelFile(await goodBytes(), 'x');
  edit(header as ModelFileHeader & { [k: string]: unknown });
  return encodeModelFile(header, header.weights.map((w, i) => ({ ...w, value: weights[i] })));
}

test('layout: magic, version, header length, weight length, aligned weights, CRC-32 trailer', async () => {
  const b = await goodBytes();
  const dv = new DataView(b.buffer);
  assert.is(new TextDecoder().decode(b.subarray(0, 8)), MAGIC);
  assert.is(dv.getUint32(8, true), FORMAT_VERSION);
  const H = dv.getUint32(12, true);
  const W = Number(dv.getBigUint64(16, true));
  const header = JSON.parse(new TextDecoder().decode(b.subarray(24, 24 + H)));
  assert.is(header.modelType, 'sequential');
  assert.is(header.vigilVersion, JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  assert.equal(header.model.layers.map((l: { className: string }) => l.className), ['Embedding', 'LSTM', 'Dense']);
  assert.equal(header.compile.optimizer.name, 'adam');
  assert.equal(header.weights.map((w: { name: string; shape: number[] }) => [w.name, w.shape]), [
    ['embedding/embeddings', [6, 3]], ['lstm/kernel', [16, 3]], ['lstm/recurrent_kernel', [16, 4]], ['lstm/bias', [16]],
    ['dense/kernel', [1, 4]], ['dense/bias', [1]],
  ]);
  const start = (24 + H + 3) & ~3;
  assert.is(b.length, start + W + 4);
  assert.is(dv.getUint32(b.length - 4, true), (zlib as unknown as { crc32: (d: Uint8Array) => number }).crc32(b.subarray(0, b.length - 4)) >>> 0);
  // The LSTM bias's forget block starts at 1 (unit_forget_bias), raw little-endian float32.
  const bias = header.weights[3];
  assert.is(dv.getFloat32(start + bias.offset + 4 * 4, true), 1);
  assert.is(crc32Portable(b), (zlib as unknown as { crc32: (d: Uint8Array) => number }).crc32(b) >>> 0);
});

test('not a model file: empty, other bytes, changed magic', async () => {
  await loadFails(new Uint8Array(0), 'not-a-model', /empty.*not a vigil model file/);
  await loadFails(new TextEncoder().encode('id,label\n1,0\n'), 'not-a-model', /not a vigil model file/);
  const b = await goodBytes();
  b[3] ^= 0x20;
  await loadFails(b, 'not-a-model', /not a vigil model file/);
});

test('missing file and a directory give an io error naming the path', async () => {
  await loadFails(null, 'io', /cannot read the file.*ENOENT/);
  const d = join(dir, 'a-directory');
  mkdirSync(d);
  await rejectsError(() => Sequential.load(d), ModelFileError, /a-directory.*cannot read the file/);
  await rejectsError(() => Sequential.load(42 as unknown as string), TypeError, /path/);
});

test('a newer format version says which and asks for an upgrade', async () => {
  const b = await goodBytes();
  new DataView(b.buffer).setUint32(8, FORMAT_VERSION + 1, true);
  await loadFails(b, 'newer-version', new RegExp(`format version ${FORMAT_VERSION + 1} \\(written by vigil .*\\) is newer.*upgrade vigil`));
});

test('truncated at any point: preamble, header, weights, trailer', async () => {
  const b = await goodBytes();
  const H = new DataView(b.buffer).getUint32(12, true);
  for (const at of [3, 8, 12, 23, 24, 24 + (H >> 1), 24 + H, b.length - 40, b.length - 4, b.length - 1]) {
    await loadFails(b.subarray(0, at), 'truncated', /truncated/);
  }
});

test('flipped bits anywhere after the preamble and trailing bytes are corruption', async () => {
  const b0 = await goodBytes();
  for (const at of [30, b0.length >> 1, b0.length - 20, b0.length - 2]) {
    const b = b0.slice();
    b[at] ^= 0x10;
    await loadFails(b, 'corrupted', /checksum mismatch.*corrupted/);
  }
  const longer = new Uint8Array(b0.length + 3);
  longer.set(b0);
  await loadFails(longer, 'corrupted', /3 unexpected bytes.*corrupted/);
  const zero = b0.slice();
  new DataView(zero.buffer).setUint32(8, 0, true);
  await loadFails(zero, 'corrupted', /version 0/);
});

test('well-formed but wrong headers: invalid JSON, other model type, unknown layer, bad config, weight shapes', async () => {
  // Invalid JSON with a valid checksum.
  const b = await goodBytes();
  b[24] = '['.charCodeAt(0);
  new DataView(b.buffer).setUint32(b.length - 4, crc32Portable(b.subarray(0, b.length - 4)), true);
  await loadFails(b, 'bad-header', /header is not valid JSON/);

  await loadFails(await withHeader((h) => (h.modelType = 'isolation_forest')), 'wrong-model-type',
    /'isolation_forest' model file, not a Sequential model/);
  await loadFails(await withHeader((h) => ((h.model as SequentialJSON).layers[1].className = 'GRU')), 'unknown-layer', /layer 1 \(lstm\): unknown layer class 'GRU'/);
  await loadFails(await withHeader((h) => ((h.model as SequentialJSON).layers[2].config.units = 'two')), 'bad-config', /Dense config: units must be a number/);
  await loadFails(await withHeader((h) => ((h.model as SequentialJSON).layers[2].config.activation = 'swish')), 'bad-config', /activation must be one of/);
  await loadFails(await withHeader((h) => ((h.model as SequentialJSON).layers[1].config.units = 5)), 'weight-mismatch',
    /lstm\/kernel \[16, 3\] in the file, but the rebuilt layers want lstm\/kernel \[20, 3\]/);
  await loadFails(await withHeader((h) => h.weights.pop()), 'weight-mismatch', /6 weights, the file holds 5/);
  await loadFails(await withHeader((h) => ((h.model as SequentialJSON).layers = [])), 'bad-header', /model.layers must be a non-empty array/);
  await loadFails(await withHeader((h) => (h.compile = { ...h.compile!, loss: { name: 'hinge' as 'mse', fromLogits: false } })), 'bad-header',
    /cannot compile.*loss must be one of/);
  await loadFails(await withHeader((h) => ((h.preprocessing as unknown) = { pad: { maxlen: -1 } })), 'bad-header', /bad preprocessing.*maxlen/);
  // A weight table pointing outside the weight section.
  const { header, weights } = decodeModelFile(await goodBytes(), 'x');
  const out = encodeModelFile(header, header.weights.map((w, i) => ({ ...w, value: weights[i] })));
  const H = new DataView(out.buffer).getUint32(12, true);
  const text = new TextDecoder().decode(out.subarray(24, 24 + H)).replace('"offset":0', '"offset":8');
  out.set(new TextEncoder().encode(text), 24);
  new DataView(out.buffer).setUint32(out.length - 4, crc32Portable(out.subarray(0, out.length - 4)), true);
  await loadFails(out, 'bad-header', /weights\[1\] \(lstm\/kernel\) at byte 72.*overlaps or lies outside/);
});

// ---------------------------------------------------------------------------------------------
// Atomic saves

const leftovers = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

test('a failed save leaves an existing file untouched and no temporary file', async () => {
  const d = mkdtempSync(join(dir, 'atomic-'));
  const path = join(d, 'model.vgm');
  writeFileSync(path, 'precious');
  await rejectsError(
    () => saveModelFile(path, new Uint8Array(100), { beforeRename: () => { throw new Error('disk on fire'); } }),
    ModelFileError, /model\.vgm.*cannot save the model: disk on fire/,
  );
  assert.is(readFileSync(path, 'utf8'), 'precious');
  assert.equal(leftovers(d), []);

  const m = new Sequential([new Dense(1, { inputShape: [2] })]);
  m.build();
  // A missing directory, a path below a regular file, a path that is a directory.
  await rejectsError(() => m.save(join(d, 'no-such-dir', 'm.vgm')), ModelFileError, /no-such-dir.*cannot save the model/);
  await rejectsError(() => m.save(join(path, 'm.vgm')), ModelFileError, /cannot save the model/);
  mkdirSync(join(d, 'taken'));
  writeFileSync(join(d, 'taken', 'inside'), 'kept');
  await rejectsError(() => m.save(join(d, 'taken')), ModelFileError, /taken.*cannot save the model/);
  assert.is(readFileSync(join(d, 'taken', 'inside'), 'utf8'), 'kept');
  // Bad options are refused before anything is written.
  await rejectsError(() => m.save(path, { preprocessing: { pad: { maxlen: 0 } } }), RangeError, /maxlen/);
  await rejectsError(() => m.save(path, { preprocessing: { extra: { n: 1n } as never } }), TypeError, /JSON/);
  await rejectsError(() => m.save(''), TypeError, /path/);
  await rejectsError(() => new Sequential([new Dense(1)]).save(join(d, 'x.vgm')), TypeError, /not built/);
  assert.is(readFileSync(path, 'utf8'), 'precious');
  assert.equal(leftovers(d), []);
  assert.not.ok(existsSync(join(d, 'x.vgm')));

  // A successful save replaces the file whole.
  await m.save(path);
  assert.is((await Sequential.load(path)).model.countParams(), 3);
  assert.equal(leftovers(d), []);
});

test('getConfig -> registry rebuilds equal layers; unknown classes are refused', () => {
  const layers: Layer[] = [
    new Embedding(10, 4, { maskZero: true, inputLength: 7 }), new LSTM(3, { returnSequences: true, recurrentDropout: 0.1 }),
    new SimpleRNN(2, { inputShape: [4, 3] }), new Dense(2, { activation: 'softmax', useBias: false, inputShape: [5] }),
    new Dropout(0.25), new Flatten(),
  ];
  for (const l of layers) {
    const copy = layerFromConfig(l.className, JSON.parse(JSON.stringify(l.getConfig())));
    assert.is(copy.className, l.className);
    assert.equal(copy.getConfig(), l.getConfig());
  }
  throwsError(() => layerFromConfig('Conv2D', {}), RangeError, /unknown layer class 'Conv2D'/);
  throwsError(() => layerFromConfig('Dropout', { rate: 2 }), RangeError, /rate/);
  throwsError(() => layerFromConfig('LSTM', { units: 3, returnSequences: 'yes', recurrentDropout: 0, inputShape: null }), TypeError, /returnSequences/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
