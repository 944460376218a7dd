import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LstmTextClassifier } from '../ts/models/lstm_text_classifier.ts';
import { rng } from './helpers/random.ts';
import { throwsError } from './helpers/errors.ts';

test('parameter count equals Keras: Embedding(64, 32) -> LSTM(64) -> Dense(1) = 2,048 + 24,832 + 65', () => {
  const m = new LstmTextClassifier({ vocabSize: 64, embeddingDim: 32, units: 64 });
  assert.is(m.parameterCount(), 2048 + 24832 + 65);
  // unit_forget_bias: the f block of the i, f, g, o bias starts at 1, the rest at 0.
  assert.ok(m.params.bias.subarray(64, 128).every((v) => v === 1));
  assert.ok(m.params.bias.subarray(0, 64).every((v) => v === 0));
});

test('learns a local token pattern; same seed, same model', async () => {
  const r = rng(5);
  const V = 12, T = 16, B = 32;
  const make = () => {
    const tokens = new Int32Array(B * T);
    const labels = new Float32Array(B);
    for (let i = 0; i < B; i++) {
      for (let t = 0; t < T; t++) tokens[i * T + t] = 1 + Math.floor(r() * (V - 2)); // never V-1
      if (i % 2 === 0) {
        tokens[i * T + Math.floor(r() * T)] = V - 1;
        labels[i] = 1;
      }
    }
    return { tokens, labels };
  };
  const data = Array.from({ length: 8 }, make);
  const held = make();
  const train = async (seed: number) => {
    const m = new LstmTextClassifier({ vocabSize: V, embeddingDim: 8, units: 16, seed, optimizer: { learningRate: 0.02 } });
    const losses: number[] = [];
    for (let epoch = 0; epoch < 15; epoch++) {
      let sum = 0;
      for (const d of data) sum += await m.trainStep({ tokens: d.tokens, batch: B, time: T }, d.labels);
      losses.push(sum / data.length);
    }
    return { m, losses };
  };
  const { m, losses } = await train(3);
  assert.ok(losses[losses.length - 1] < 0.25 * losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  const p = await m.predict({ tokens: held.tokens, batch: B, time: T });
  let right = 0;
  p.forEach((v, i) => (right += Number((v >= 0.5) === (held.labels[i] === 1))));
  assert.ok(right / B >= 0.9, `held-out accuracy ${right / B}`);
  const again = await train(3);
  assert.equal(again.losses, losses);
});

test('overlapping calls run in order and give the results of sequential calls', async () => {
  const r = rng(9);
  const B = 4, T = 6;
  const a = new Int32Array(B * T).map(() => Math.floor(r() * 8));
  const b = new Int32Array(B * T).map(() => Math.floor(r() * 8));
  const labels = Float32Array.of(0, 1, 1, 0);
  const seq = new LstmTextClassifier({ vocabSize: 8, seed: 2 });
  const pa = await seq.predict({ tokens: a, batch: B, time: T });
  const loss = await seq.trainStep({ tokens: b, batch: B, time: T }, labels);
  const pb = await seq.predict({ tokens: b, batch: B, time: T });
  const par = new LstmTextClassifier({ vocabSize: 8, seed: 2 });
  const [qa, qloss, qb] = await Promise.all([
    par.predict({ tokens: a, batch: B, time: T }),
    par.trainStep({ tokens: b, batch: B, time: T }, labels),
    par.predict({ tokens: b, batch: B, time: T }),
  ]);
  assert.equal(Array.from(qa), Array.from(pa));
  assert.is(qloss, loss);
  assert.equal(Array.from(qb), Array.from(pb));
});

test('bad batches throw', async () => {
  const m = new LstmTextClassifier({ vocabSize: 8 });
  throwsError(() => new LstmTextClassifier({ vocabSize: 0 }), RangeError, /vocabSize/);
  throwsError(() => new LstmTextClassifier({ vocabSize: 8, units: 1e9 }), RangeError, /units must be an integer/);
  throwsError(() => new LstmTextClassifier({ vocabSize: 8, embeddingDim: 2.5 }), RangeError, /embeddingDim/);
  throwsError(() => new LstmTextClassifier({ vocabSize: '8' as never }), TypeError, /vocabSize must be a number/);
  let err: unknown;
  await m.predict({ tokens: new Int32Array(6), batch: 2, time: 4 }).catch((e) => (err = e));
  assert.instance(err, RangeError);
  err = undefined;
  await m.predict({ tokens: Int32Array.of(0, 1, 2, 9), batch: 1, time: 4 }).catch((e) => (err = e));
  assert.instance(err, RangeError);
  assert.match(String(err), /tokens/);
  err = undefined;
  await m.trainStep({ tokens: new Int32Array(4), batch: 1, time: 4 }, Float32Array.of(Number.NaN)).catch((e) => (err = e));
  assert.instance(err, RangeError);
  err = undefined;
  await m.predict({ tokens: new Float32Array(4) as never, batch: 1, time: 4 }).catch((e) => (err = e));
  assert.instance(err, TypeError);
});

test.run();
