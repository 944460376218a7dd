// predict's output handling: the last layer writing straight into the result, a caller's `out`
// array (validated: type, size, detached, shared memory with the input), batches read as views of
// the input, and layer buffers reused from call to call — never stale, never shared between
// overlapping calls, never writing into the caller's input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adviseHugePages } from '../ts/bindings/backend.ts';
import { conv1dForward } from '../ts/bindings/conv1d.ts';
import { Model } from '../ts/models/functional.ts';
import { Conv1D } from '../ts/models/layers/conv1d.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Embedding } from '../ts/models/layers/embedding.ts';
import { LSTM } from '../ts/models/layers/lstm.ts';
import { GlobalMaxPooling1D } from '../ts/models/layers/pooling.ts';
import { Input } from '../ts/models/layers/symbolic.ts';
import { Sequential } from '../ts/models/sequential.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError } from './helpers/errors.ts';
import { detached, randomF32, randomInts, rng } from './helpers/random.ts';

const T = 40, C = 5, F = 3;

/** A small TCN: causal Conv1D(6, 3) at dilations 1, 2 with ReLU, then Conv1D(F, 3) at dilation 4, linear. */
function tcn(seed = 3): Sequential {
  const m = new Sequential([
    new Conv1D(6, 3, { dilationRate: 1, padding: 'causal', activation: 'relu', inputShape: [null, C] }),
    new Conv1D(6, 3, { dilationRate: 2, padding: 'causal', activation: 'relu' }),
    new Conv1D(F, 3, { dilationRate: 4, padding: 'causal' }),
  ], { seed });
  m.build();
  return m;
}

/** The same stack computed with the kernels directly, into fresh arrays (no model buffers). */
function reference(m: Sequential, x: Float32Array, n: number): Float32Array {
  let h = x, cin = C;
  for (const l of m.layers as Conv1D[]) {
    const y = new Float32Array(n * T * l.filters);
    const s = { batch: n, time: T, inChannels: cin, outChannels: l.filters, kernelSize: 3, dilation: l.dilationRate, padding: 'causal' as const };
    conv1dForward(s, h, l.kernel, l.bias, y, l.activation === 'relu' ? 'relu' : 'linear');
    h = y;
    cin = l.filters;
  }
  return h;
}

const same = (a: Float32Array, b: Float32Array, what: string) => {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}: differs at ${i}: ${a[i]} vs ${b[i]}`);
};

test('conv stack: predict equals the kernels run by hand, bit for bit, with and without out, in one batch or several', async () => {
  const m = tcn();
  const n = 10;
  const x = randomF32(rng(1), n * T * C);
  const want = reference(m, x, n);
  same((await m.predict(tensor(x, [n, T, C]), { batchSize: 32 })).data, want, 'one batch');
  same((await m.predict(tensor(x, [n, T, C]), { batchSize: 3 })).data, want, 'batches of 3 (short last)');
  const out = new Float32Array(n * T * F).fill(NaN);
  const r = await m.predict(tensor(x, [n, T, C]), { batchSize: 4, out });
  assert.ok(r.data === out, 'resolves to a tensor over out');
  assert.equal(r.shape, [n, T, F]);
  same(out, want, 'into out, batches of 4');
});

test('reused buffers never return stale data: a larger call, then smaller ones, then the same out again', async () => {
  const m = tcn();
  const xs = [12, 5, 1, 7].map((n, i) => ({ n, x: randomF32(rng(10 + i), n * T * C) }));
  const out = new Float32Array(7 * T * F);
  for (const { n, x } of xs) {
    const want = reference(m, x, n);
    same((await m.predict(tensor(x, [n, T, C]), { batchSize: 8 })).data, want, `n=${n}`);
    if (n === 7) {
      same((await m.predict(tensor(x, [n, T, C]), { out })).data, want, 'into out');
      // The same out once more with other values: every value is rewritten.
      const x2 = randomF32(rng(99), n * T * C);
      same((await m.predict(tensor(x2, [n, T, C]), { out })).data, reference(m, x2, n), 'into the same out again');
    }
  }
});

test('overlapping predicts on one model (fresh outputs, outs, batch sizes) each give their own correct result', async () => {
  const m = tcn();
  const cases = [9, 2, 1, 16, 4].map((n, i) => ({ n, x: randomF32(rng(20 + i), n * T * C) }));
  const outs = cases.map(({ n }, i) => (i % 2 === 0 ? new Float32Array(n * T * F) : undefined));
  const results = await Promise.all(cases.map(({ n, x }, i) => m.predict(tensor(x, [n, T, C]), { batchSize: 1 + i * 3, out: outs[i] })));
  cases.forEach(({ n, x }, i) => {
    same(results[i].data, reference(m, x, n), `call ${i}`);
    if (outs[i]) assert.ok(results[i].data === outs[i]);
  });
});

test('predict never writes into its input (views of consecutive rows): conv with lengths, LSTM tokens, Dense', async () => {
  const m = tcn();
  const n = 6;
  const x = randomF32(rng(5), n * T * C);
  const lengths = Int32Array.from([T, 3, 17, T, 1, 30]);
  const [x0, l0] = [x.slice(), lengths.slice()];
  await m.predict({ tokens: tensor(x, [n, T, C]), lengths }, { batchSize: 4 });
  same(x, x0, 'conv x');
  assert.equal(Array.from(lengths), Array.from(l0));

  const lstm = new Sequential([new Embedding(20, 4), new LSTM(5, { returnSequences: true }), new GlobalMaxPooling1D(), new Dense(2)], { seed: 1 });
  const ids = randomInts(rng(6), n * 12, 20);
  const ids0 = ids.slice();
  const out = new Float32Array(n * 2);
  await lstm.predict(tensor(ids, [n, 12]), { out });
  assert.equal(Array.from(ids), Array.from(ids0));
  same((await lstm.predict(tensor(ids, [n, 12]))).data, out, 'LSTM into out equals a fresh output');

  const dense = new Sequential([new Dense(3, { activation: 'tanh', inputShape: [4] }), new Dense(2, { activation: 'softmax' })], { seed: 2 });
  const xd = randomF32(rng(7), 9 * 4);
  const xd0 = xd.slice();
  const o = new Float32Array(18);
  await dense.predict(tensor(xd, [9, 4]), { out: o, batchSize: 2 });
  same(xd, xd0, 'dense x');
  same((await dense.predict(tensor(xd, [9, 4]))).data, o, 'softmax into out equals a fresh output');
});

test('a last layer that cannot write into out (pooling) and a functional model (output size learnt from the first batch) still fill out', async () => {
  const m = new Sequential([new Conv1D(4, 3, { padding: 'causal', activation: 'tanh', inputShape: [null, C] }), new GlobalMaxPooling1D()], { seed: 4 });
  const x = randomF32(rng(8), 5 * T * C);
  const out = new Float32Array(5 * 4);
  const r = await m.predict(tensor(x, [5, T, C]), { out, batchSize: 2 });
  assert.ok(r.data === out);
  same(out, (await m.predict(tensor(x, [5, T, C]))).data, 'pooled');

  const inp = Input({ shape: [4] });
  const fm = new Model({ inputs: inp, outputs: new Dense(3).apply(new Dense(5, { activation: 'relu' }).apply(inp)), seed: 5 });
  const xf = randomF32(rng(9), 7 * 4);
  const of = new Float32Array(21);
  same((await fm.predict(tensor(xf, [7, 4]), { out: of, batchSize: 3 })).data, (await fm.predict(tensor(xf, [7, 4]))).data, 'functional');
  await rejectsError(fm.predict(tensor(xf, [7, 4]), { out: new Float32Array(20) }), RangeError, /out must have 21 values \(7 rows of 3\), got 20/);
});

test('out is validated: type, size, detached buffer, memory shared with the input', async () => {
  const m = tcn();
  const n = 4;
  const x = randomF32(rng(12), n * T * C);
  const xt = tensor(x, [n, T, C]);
  for (const bad of [new Float64Array(n * T * F), Array.from({ length: n * T * F }, () => 0), null, 'out']) {
    await rejectsError(m.predict(xt, { out: bad as unknown as Float32Array }), TypeError, /predict: out must be a Float32Array/);
  }
  await rejectsError(m.predict(xt, { out: new Float32Array(n * T * F + 1) }), RangeError, /out must have 480 values \(4 rows of 120\), got 481/);
  await rejectsError(m.predict(xt, { out: detached(n * T * F) }), TypeError, /out is backed by a detached/);
  // F < C: an out inside x's own buffer fits, and would be overwritten while x is read.
  await rejectsError(m.predict(xt, { out: new Float32Array(x.buffer, 4 * 7, n * T * F) }), RangeError, /out shares memory with x/);
  const lengths = new Int32Array(n * T * F + n).fill(T);
  const shared = new Float32Array(lengths.buffer, 0, n * T * F);
  await rejectsError(m.predict({ tokens: xt, lengths: lengths.subarray(n * T * F - 2, n * T * F - 2 + n) }, { out: shared }), RangeError, /shares memory with x/);
  await rejectsError(m.predict(xt, null as unknown as object), TypeError, /predict: options must be an object/);
  // The model still works after every refusal.
  same((await m.predict(xt)).data, reference(m, x, n), 'after the errors');
});

test('adviseHugePages: a hint that leaves values alone; nothing advised for small arrays', () => {
  const big = new Float32Array(3 << 20);
  const advised = adviseHugePages(big);
  assert.ok(advised >= 0 && advised <= big.byteLength && advised % (2 << 20) === 0, `advised ${advised}`);
  big[big.length - 1] = 2;
  assert.is(big[0], 0);
  assert.is(big[big.length - 1], 2);
  assert.is(adviseHugePages(new Float32Array(1000)), 0);
});

test.run();
