// The functional Model: Input() + layer.apply(x), several inputs, shared layers (the Siamese LSTM),
// merge layers, and the one training loop it shares with Sequential.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model } from '../ts/models/functional.ts';
import { Input } from '../ts/models/layers/symbolic.ts';
import { Add, Dot, Multiply, Subtract } from '../ts/models/layers/merge.ts';
import { Sequential } from '../ts/models/sequential.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { ModelFileError } from '../ts/models/serialize.ts';
import { exportOnnx } from '../ts/models/onnx/export/index.ts';
import { tensor } from '../ts/models/tensor.ts';
import { numericGrad, randomF32, rng } from './helpers/random.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';

const siamese = (V: number, E: number, H: number, T: number, opts: { normalize?: boolean; seed?: number } = {}) => {
  const a = Input({ shape: [T], dtype: 'int32', name: 'q1' });
  const b = Input({ shape: [T], dtype: 'int32', name: 'q2' });
  const embed = new Embedding(V, E, { maskZero: true });
  const encode = new LSTM(H);
  const ea = encode.apply(embed.apply(a));
  const eb = encode.apply(embed.apply(b));
  const sim = new Dot({ axes: -1, normalize: opts.normalize ?? false }).apply([ea, eb]);
  const out = new Dense(1, { activation: 'sigmoid' }).apply(sim);
  return new Model({ inputs: [a, b], outputs: out, seed: opts.seed ?? 0 });
};

/**
 * Pairs of 'pre'-padded char strings: label 1 when the second is the first with one character
 * replaced (noise), 0 when it is an unrelated string.
 */
function pairs(seed: number, n: number, T: number, V: number) {
  const r = rng(seed);
  const q1 = new Int32Array(n * T), q2 = new Int32Array(n * T);
  const l1 = new Int32Array(n), l2 = new Int32Array(n);
  const y = new Float32Array(n);
  const char = () => 1 + Math.floor(r() * (V - 1));
  for (let i = 0; i < n; i++) {
    const len = 6 + Math.floor(r() * (T - 5));
    const same = r() < 0.5;
    const other = same ? len : 6 + Math.floor(r() * (T - 5));
    l1[i] = len;
    l2[i] = other;
    for (let t = T - len; t < T; t++) q1[i * T + t] = char();
    for (let t = T - other; t < T; t++) q2[i * T + t] = same ? q1[i * T + t] : char();
    if (same) q2[i * T + T - 1 - Math.floor(r() * len)] = char();
    y[i] = same ? 1 : 0;
  }
  return {
    x: [{ tokens: tensor(q1, [n, T]), lengths: l1 }, { tokens: tensor(q2, [n, T]), lengths: l2 }],
    y,
  };
}

test('summary: a shared layer is listed and counted once (Keras)', () => {
  const m = siamese(50, 8, 16, 10);
  // Embedding 50*8, LSTM 4*16*(8+16+1), Dot 0, Dense 1+1.
  assert.is(m.countParams(), 400 + 1600 + 2);
  assert.is(m.layers.length, 4);
  assert.equal(m.layers.map((l) => l.name), ['embedding', 'lstm', 'dot', 'dense']);
  const s = m.summary();
  assert.match(s, /Total params: 2,002/);
  assert.match(s, /embedding \(Embedding\)\s+\(None, 10, 8\)\s+400\s+q1, q2/);
  assert.match(s, /lstm \(LSTM\)\s+\(None, 16\)\s+1,600\s+embedding, embedding/);
  assert.is(m.getWeights().length, 1 + 3 + 2);
});

test('a Siamese LSTM learns which pairs of strings are the same up to noise', async () => {
  const T = 14, V = 12;
  const train = pairs(1, 800, T, V);
  const held = pairs(2, 300, T, V);
  const m = siamese(V, 16, 24, T, { normalize: true, seed: 4 });
  m.compile({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 0.01 }, metrics: ['accuracy'] });
  const h = await m.fit(train.x, train.y, { epochs: 3, batchSize: 32, seed: 5 });
  assert.ok(h.epochs[2].loss < h.epochs[0].loss, `loss ${h.epochs.map((e) => e.loss)}`);
  const { metrics } = await m.evaluate(held.x, held.y);
  assert.ok(metrics.accuracy > 0.75, `held-out accuracy ${metrics.accuracy}`);
  const p = await m.predict(held.x);
  assert.equal(p.shape, [300, 1]);
});

test('gradients of a graph with a shared LSTM and a shared Dense match finite differences', async () => {
  const r = rng(3);
  const a = Input({ shape: [5, 3] }), b = Input({ shape: [5, 3] });
  const lstm = new LSTM(4), proj = new Dense(3, { activation: 'tanh' });
  const pa = proj.apply(lstm.apply(a)), pb = proj.apply(lstm.apply(b));
  const merged = new Add().apply([new Subtract().apply([pa, pb]), new Multiply().apply([pa, pb])]);
  const out = new Dense(1, { activation: 'sigmoid' }).apply(new Dense(2, { activation: 'tanh' }).apply(merged));
  const m = new Model({ inputs: [a, b], outputs: out, seed: 2 });
  m.compile({ loss: 'binary_crossentropy' });
  const x = [tensor(randomF32(r, 6 * 15), [6, 5, 3]), tensor(randomF32(r, 6 * 15), [6, 5, 3])];
  const y = Float32Array.from([1, 0, 1, 1, 0, 0]);
  await gradCheck(m, x, y, 'shared LSTM + Dense');
});

test('gradients of a Siamese Embedding + LSTM (folded, shared) with a cosine Dot match finite differences', async () => {
  const m = siamese(9, 4, 5, 7, { normalize: true, seed: 6 });
  m.compile({ loss: 'binary_crossentropy' });
  const d = pairs(7, 6, 7, 9);
  // The cosine bends sharply around the small initial LSTM codes: the central difference's error
  // (h^2/6 f''') fell 8x from h = 3e-3 to 1e-3 here, so a small step keeps it exact.
  await gradCheck(m, d.x, d.y, 'siamese cosine', 3e-4);
  const m2 = siamese(9, 4, 5, 7, { seed: 6 });
  m2.compile({ loss: 'binary_crossentropy' });
  await gradCheck(m2, d.x, d.y, 'siamese dot');
});

test('Dot: output and input gradients of the dot product and the cosine match float64 finite differences', async () => {
  const r = rng(12);
  const B = 3, D = 4;
  // Row 2 of b is zero: Keras' l2_normalize clamps its norm at sqrt(1e-12), and the gradient stays finite.
  const a = randomF32(r, B * D), b = randomF32(r, B * D).fill(0, 2 * D);
  const g = Float32Array.from([0.7, -1.3, 0.4]);
  for (const normalize of [false, true]) {
    const dot = new Dot({ normalize });
    dot.buildMany([[D], [D]]);
    const ctx = { training: true, seed: 0, stream: 0 };
    const out = await dot.forwardMany([{ data: a, shape: [B, D], lengths: null }, { data: b, shape: [B, D], lengths: null }], ctx);
    const ref = (x: ArrayLike<number>, z: ArrayLike<number>, row: number) => {
      let p = 0, sx = 0, sz = 0;
      for (let i = row * D; i < (row + 1) * D; i++) [p, sx, sz] = [p + x[i] * z[i], sx + x[i] * x[i], sz + z[i] * z[i]];
      return normalize ? p / Math.sqrt(Math.max(sx, 1e-12)) / Math.sqrt(Math.max(sz, 1e-12)) : p;
    };
    for (let row = 0; row < B; row++) assert.ok(Math.abs(out.data[row] - ref(a, b, row)) < 1e-6, `forward row ${row}`);
    const [da, db] = await dot.backwardMany(g, [true, true]);
    const loss = (x: Float64Array, z: ArrayLike<number>) => [0, 1, 2].reduce((s, row) => s + g[row] * ref(x, z, row), 0);
    const na = numericGrad((x) => loss(x, b), Float64Array.from(a));
    const nb = numericGrad((z) => loss(z, a), Float64Array.from(b));
    for (let i = 0; i < B * D; i++) {
      assert.ok(Math.abs((da as Float32Array)[i] - na[i]) < 1e-5, `normalize ${normalize}: da[${i}] ${(da as Float32Array)[i]} vs ${na[i]}`);
      if (!(normalize && i >= 2 * D)) assert.ok(Math.abs((db as Float32Array)[i] - nb[i]) < 1e-5, `normalize ${normalize}: db[${i}] ${(db as Float32Array)[i]} vs ${nb[i]}`);
    }
  }
});

test('a Model with one input trains bit for bit as the equivalent Sequential', async () => {
  const T = 12, V = 10, n = 96;
  const r = rng(9);
  const tokens = new Int32Array(n * T), lengths = new Int32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    lengths[i] = 3 + Math.floor(r() * (T - 2));
    for (let t = T - lengths[i]; t < T; t++) tokens[i * T + t] = 1 + Math.floor(r() * (V - 1));
    y[i] = tokens[i * T + T - 1] > V / 2 ? 1 : 0;
  }
  const x = { tokens: tensor(tokens, [n, T]), lengths };
  const layers = () => [new Embedding(V, 8), new LSTM(12, { recurrentDropout: 0.2 }), new Dense(1, { activation: 'sigmoid' })];
  const seq = new Sequential(layers(), { seed: 3 });
  const inp = Input({ shape: [T], dtype: 'int32' });
  const [e, l, dn] = layers();
  const fun = new Model({ inputs: inp, outputs: dn.apply(l.apply(e.apply(inp))), seed: 3 });
  for (const m of [seq, fun]) m.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  seq.build([T]);
  assert.equal(fun.getWeights(), seq.getWeights());
  const opts = { epochs: 3, batchSize: 16, validationSplit: 0.25, classWeight: { 0: 1, 1: 2 } };
  const hs = await seq.fit(x, y, opts);
  const hf = await fun.fit(x, y, opts);
  assert.equal(hf.epochs.map((e) => [e.loss, e.metrics, e.valLoss, e.valMetrics]), hs.epochs.map((e) => [e.loss, e.metrics, e.valLoss, e.valMetrics]));
  assert.equal(fun.getWeights(), seq.getWeights());
  assert.equal((await fun.predict(x)).data, (await seq.predict(x)).data);
  assert.equal(await fun.evaluate([x], y), await seq.evaluate(x, y));
});

test('save and load round-trip the graph, the shared weights and the compile settings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-functional-'));
  try {
    const d = pairs(11, 64, 10, 8);
    const m = siamese(8, 6, 7, 10, { normalize: true, seed: 2 });
    m.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    await m.fit(d.x, d.y, { epochs: 1, batchSize: 16 });
    const path = join(dir, 'siamese.vigil');
    await m.save(path, { preprocessing: { extra: { task: 'pairs' } } });
    const { model, preprocessing } = await Model.load(path);
    assert.equal(model.getWeights(), m.getWeights());
    assert.equal(model.getConfig(), m.getConfig());
    assert.equal(model.getCompileConfig(), m.getCompileConfig());
    assert.equal(preprocessing?.extra, { task: 'pairs' });
    assert.equal((await model.predict(d.x)).data, (await m.predict(d.x)).data);
    assert.is(model.summary(), m.summary());
    // Training goes on from the loaded weights.
    await model.fit(d.x, d.y, { epochs: 1, batchSize: 16 });
    const err = await Sequential.load(path).catch((e: unknown) => e);
    assert.instance(err, ModelFileError);
    assert.match((err as Error).message, /'functional' model file, not a Sequential/);
    const sp = join(dir, 'seq.vigil');
    const seq = new Sequential([new Dense(1)], { seed: 1 });
    seq.build([3]);
    await seq.save(sp);
    await rejectsError(Model.load(sp), ModelFileError, /'sequential' model file, not a functional Model/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('clear errors for a badly wired graph and bad inputs', async () => {
  const a = Input({ shape: [4] }), b = Input({ shape: [4] }), c = Input({ shape: [4] });
  const dense = new Dense(2);
  const sum = new Add().apply([dense.apply(a), dense.apply(b)]);
  throwsError(() => new Model({ inputs: [a], outputs: sum }), TypeError, /depends on input_\d+, which is not in inputs/);
  throwsError(() => new Model({ inputs: [a, b, c], outputs: sum }), TypeError, /inputs\[2\] \(input_\d+\) is not connected to the output/);
  throwsError(() => new Model({ inputs: [a, b], outputs: a }), TypeError, /not an Input/);
  throwsError(() => new Model({ inputs: [a, a], outputs: sum }), TypeError, /listed twice/);
  throwsError(() => dense.apply([a, b]), TypeError, /takes one input, got a list/);
  throwsError(() => new Dot().apply(a), TypeError, /list of at least 2 inputs/);
  throwsError(() => dense.apply({ shape: [4] } as never), TypeError, /must be an Input\(\) or the output/);
  throwsError(() => new Model({ inputs: a, outputs: new Dense(1).apply(new Embedding(5, 2).apply(a)) }), TypeError, /Embedding embedding must read an Input with dtype 'int32'/);
  const ids = Input({ shape: [4], dtype: 'int32' });
  throwsError(() => new Model({ inputs: ids, outputs: new Dense(1).apply(ids) }), TypeError, /only an Embedding reads an 'int32' Input/);
  throwsError(() => Input({ shape: [0] }), RangeError, /positive integers/);
  throwsError(() => new Dot({ axes: 2 }), RangeError, /axes must be -1 or 1/);
  throwsError(() => new Sequential([new Dense(2, { inputShape: [3] }), new Add()]).build(), TypeError, /merge layer takes a list of inputs/);
  const used = new Dense(1);
  new Model({ inputs: c, outputs: used.apply(c) });
  throwsError(() => new Model({ inputs: c, outputs: used.apply(c) }), TypeError, /dense is already built \(in another model\)/);
  const wide = Input({ shape: [5] });
  throwsError(() => new Model({ inputs: [a, wide], outputs: new Add().apply([a, wide]) }), RangeError, /same shape/);

  const m = new Model({ inputs: [a, b], outputs: new Dense(1, { activation: 'sigmoid' }).apply(sum), seed: 1 });
  m.compile({ loss: 'binary_crossentropy' });
  const r = rng(1);
  const xa = tensor(randomF32(r, 24), [6, 4]), xb = tensor(randomF32(r, 24), [6, 4]);
  const y = new Float32Array(6);
  await rejectsError(m.fit(xa, y), TypeError, /x must be an array of 2 inputs/);
  await rejectsError(m.fit([xa], y), TypeError, /x must be an array of 2 inputs .* got an array of 1/);
  await rejectsError(m.fit([xa, tensor(randomF32(r, 20), [5, 4])], y), RangeError, /x\[1\] has 5 rows but x\[0\] has 6/);
  await rejectsError(m.fit([xa, tensor(randomF32(r, 18), [6, 3])], y), RangeError, /x\[1\] rows must have shape \[4\]/);
  await rejectsError(m.fit([xa, xb], new Float32Array(5)), RangeError, /6 rows but y has 5 values/);
  await rejectsError(m.predict([xa, xb, xb]), TypeError, /array of 2 inputs/);
  await rejectsError(exportOnnx(m as never), TypeError, /functional Model .* cannot be exported to ONNX/);
  // The graph as built is fine: it trains.
  const h = await m.fit([xa, xb], y, { epochs: 1, batchSize: 4 });
  assert.is(h.epochs.length, 1);
});

test.run();
