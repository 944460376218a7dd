// Export of recurrent and text models: vigil's predict and onnxruntime-node on the exported file agree
// to 1e-5 (max abs) on random weights and random 'pre'-padded ids of random lengths (1, full and 0
// among them), for each layer kind and the recipes' model shapes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bidirectional, Dense, Dropout, Embedding, GlobalMaxPooling1D, LSTM, Sequential, SimpleRNN, SpatialDropout1D } from '../ts/index.ts';
import type { Layer } from '../ts/index.ts';
import { decodeModel } from '../ts/models/onnx/proto.ts';
import { exportOnnx } from '../ts/models/onnx/export/index.ts';
import { expectAgreement, float32, int64, paddedIds, randomizeWeights } from './helpers/onnx.ts';
import { randomF32, rng } from './helpers/random.ts';

const V = 20, B = 9, T = 13;

function textModel(layers: Layer[], seed: number): Sequential {
  const m = new Sequential(layers, { seed });
  m.build([null]);
  randomizeWeights(m, seed + 100);
  return m;
}

/** The model on padded ids with lengths (the graph derives them from the ids). */
async function agreeOnIds(name: string, layers: Layer[], seed: number, empty = true): Promise<void> {
  const m = textModel(layers, seed);
  const p = paddedIds(seed, B, T, V, empty);
  await expectAgreement(name, m, p.vigil, { tokens: int64(p.ids, [B, T]) });
}

test('the default recipe: Embedding -> LSTM(returnSequences) -> GlobalMaxPooling1D -> Dense(sigmoid)', async () => {
  await agreeOnIds('text-lstm-gmp', [new Embedding(V, 8), new LSTM(12, { returnSequences: true }), new GlobalMaxPooling1D(), new Dense(1, { activation: 'sigmoid' })], 1);
});

test('LSTM last state, SimpleRNN last state and sequences, softmax head', async () => {
  await agreeOnIds('text-lstm-last', [new Embedding(V, 6), new LSTM(10), new Dense(1, { activation: 'sigmoid' })], 2);
  await agreeOnIds('text-rnn-last', [new Embedding(V, 6), new SimpleRNN(7), new Dense(3, { activation: 'softmax' })], 3);
  await agreeOnIds('text-rnn-seq', [new Embedding(V, 6), new SimpleRNN(7, { returnSequences: true }), new Dense(2, { activation: 'tanh' })], 4);
});

test('stacked LSTMs with dropout between them, sequence output', async () => {
  await agreeOnIds('text-lstm-stacked', [
    new Embedding(V, 5), new Dropout(0.3), new LSTM(8, { returnSequences: true }), new Dropout(0.2),
    new LSTM(6, { returnSequences: true }), new LSTM(4), new Dense(2, { activation: 'relu' }),
  ], 5);
  await agreeOnIds('text-lstm-seq-out', [new Embedding(V, 5), new LSTM(8, { returnSequences: true }), new LSTM(6, { returnSequences: true })], 6);
});

test('Bidirectional LSTM and SimpleRNN: each merge mode, last state and sequences', async () => {
  let seed = 10;
  for (const mergeMode of ['concat', 'sum', 'ave'] as const) {
    await agreeOnIds(`text-bilstm-${mergeMode}`, [new Embedding(V, 6), new Bidirectional(new LSTM(5), { mergeMode }), new Dense(1, { activation: 'sigmoid' })], seed++);
    await agreeOnIds(`text-bilstm-seq-${mergeMode}`, [
      new Embedding(V, 6), new Bidirectional(new LSTM(5, { returnSequences: true }), { mergeMode }), new GlobalMaxPooling1D(), new Dense(2),
    ], seed++);
  }
  await agreeOnIds('text-birnn-seq', [new Embedding(V, 6), new Bidirectional(new SimpleRNN(4, { returnSequences: true })), new LSTM(3)], seed++);
});

test('maskZero without explicit lengths, and a full-length batch without any padding', async () => {
  const m = textModel([new Embedding(V, 6, { maskZero: true }), new LSTM(7, { returnSequences: true }), new GlobalMaxPooling1D(), new Dense(1)], 20);
  const p = paddedIds(20, B, T, V, true);
  await expectAgreement('text-maskzero', m, p.vigil.tokens, { tokens: int64(p.ids, [B, T]) });
  const full = paddedIds(21, 4, T, V);
  full.ids.forEach((v, i) => { if (v === 0) full.ids[i] = 1 + (i % (V - 1)); });
  await expectAgreement('text-no-padding', m, { tokens: { data: full.ids, shape: [4, T] }, lengths: null }, { tokens: int64(full.ids, [4, T]) });
});

test("lengths 'input' and 'none'; 'post' padding runs every step, as vigil does", async () => {
  const m = textModel([new Embedding(V, 6), new LSTM(7), new Dense(1, { activation: 'sigmoid' })], 30);
  const p = paddedIds(30, B, T, V, true);
  await expectAgreement('text-lengths-input', m, p.vigil, { tokens: int64(p.ids, [B, T]), lengths: new (await import('onnxruntime-node')).Tensor('int32', p.lengths, [B]) }, { lengths: 'input' });
  await expectAgreement('text-lengths-none', m, p.vigil.tokens, { tokens: int64(p.ids, [B, T]) }, { lengths: 'none' });
  const post = await exportOnnx(m, null, { preprocessing: { pad: { maxlen: T, padding: 'post' } } });
  const meta = Object.fromEntries(decodeModel(post).metadata_props!.map((e) => [e.key, e.value]));
  assert.is(meta['vigil.lengths'], 'none');
});

test('float sequences: LSTM forecaster and autoencoder shapes (dynamic time)', async () => {
  const r = rng(40);
  const F = 3, W = 11;
  const forecaster = new Sequential([new LSTM(9), new Dropout(0.2), new Dense(2 * F)], { seed: 40 });
  forecaster.build([W, F]);
  randomizeWeights(forecaster, 41);
  const x = randomF32(r, B * W * F);
  await expectAgreement('lstm-forecaster', forecaster, { data: x, shape: [B, W, F] }, { input: float32(x, [B, W, F]) });
  const ae = new Sequential([new LSTM(8, { returnSequences: true }), new SpatialDropout1D(0.1), new Dense(F)], { seed: 42 });
  ae.build([null, F]);
  randomizeWeights(ae, 43);
  await expectAgreement('lstm-autoencoder', ae, { data: x, shape: [B, W, F] }, { input: float32(x, [B, W, F]) });
  const x2 = randomF32(r, 2 * 5 * F);
  await expectAgreement('lstm-autoencoder-T5', ae, { data: x2, shape: [2, 5, F] }, { input: float32(x2, [2, 5, F]) });
});

test.run();
