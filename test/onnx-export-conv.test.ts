// Export of convolutional and dense models: Conv1D stacks (each padding, dilation), pooling and
// upsampling, RepeatVector, TimeDistributed, Flatten, TCN blocks and the TCN classifiers of
// tcn_models.ts, a dense autoencoder, and convolutions over padded token ids (valid-step masks, the
// padding moved for an LSTM and back for a pooling). vigil's predict and onnxruntime-node on the
// exported file agree to 1e-5 (max abs) on random weights and inputs.
import { test } from 'uvu';
import {
  Conv1D, Dense, Embedding, Flatten, GlobalMaxPooling1D, LSTM, MaxPooling1D, NormalizedReLU, RepeatVector, Sequential, SpatialDropout1D, TCN,
  TimeDistributed, UpSampling1D, dilatedTcnClassifier, edTcnClassifier,
} from '../ts/index.ts';
import type { Layer } from '../ts/index.ts';
import { expectAgreement, float32, int64, paddedIds, randomizeWeights } from './helpers/onnx.ts';
import { randomF32, rng } from './helpers/random.ts';

const B = 5, C = 3;

/** Builds `layers` for [time, C] float inputs and checks agreement at each of the given lengths. */
async function agreeOnFloats(name: string, layers: Layer[], seed: number, times: number[], inputTime: number | null = null): Promise<void> {
  const m = new Sequential(layers, { seed });
  m.build([inputTime, C]);
  randomizeWeights(m, seed + 100);
  const r = rng(seed);
  for (const T of times) {
    const x = randomF32(r, B * T * C);
    await expectAgreement(`${name}-T${T}`, m, { data: x, shape: [B, T, C] }, { input: float32(x, [B, T, C]) });
  }
}

test('Conv1D stacks with dilation, each padding, dynamic time', async () => {
  let seed = 1;
  for (const padding of ['causal', 'same', 'valid'] as const) {
    for (const kernel of [2, 3]) {
      await agreeOnFloats(`conv-${padding}-k${kernel}`, [
        new Conv1D(4, kernel, { padding, dilationRate: 1, activation: 'relu' }), new SpatialDropout1D(0.2),
        new Conv1D(5, kernel, { padding, dilationRate: 2, activation: 'tanh' }),
        new Conv1D(3, kernel, { padding, dilationRate: 4, useBias: false }),
      ], seed++, [16, 23]);
    }
  }
});

test('MaxPooling1D (valid, same, strides), UpSampling1D, TimeDistributed(Dense), GlobalMaxPooling1D', async () => {
  await agreeOnFloats('pool-valid', [new Conv1D(4, 3, { padding: 'causal' }), new MaxPooling1D(2), new UpSampling1D(3), new TimeDistributed(new Dense(2, { activation: 'sigmoid' }))], 10, [12, 17]);
  await agreeOnFloats('pool-same-s3', [new MaxPooling1D(4, { strides: 3, padding: 'same' }), new Conv1D(4, 2, { padding: 'same' }), new GlobalMaxPooling1D()], 11, [13, 9]);
  await agreeOnFloats('pool-same-fixed', [new MaxPooling1D(3, { strides: 2, padding: 'same' }), new UpSampling1D(2), new Dense(2)], 12, [11], 11);
});

test('dense autoencoder, RepeatVector decoder, Flatten head', async () => {
  const r = rng(20);
  const F = 7;
  const ae = new Sequential([new Dense(6, { activation: 'relu', inputShape: [F] }), new Dense(3, { activation: 'tanh' }), new Dense(6, { activation: 'relu' }), new Dense(F)], { seed: 20 });
  ae.build();
  randomizeWeights(ae, 21);
  const x = randomF32(r, 8 * F);
  await expectAgreement('dense-autoencoder', ae, { data: x, shape: [8, F] }, { input: float32(x, [8, F]) });
  await agreeOnFloats('lstm-repeat-decoder', [new LSTM(6), new RepeatVector(4), new LSTM(5, { returnSequences: true }), new TimeDistributed(new Dense(C))], 22, [10, 3]);
  await agreeOnFloats('conv-flatten', [new Conv1D(4, 3, { padding: 'valid', dilationRate: 2 }), new Flatten(), new Dense(3, { activation: 'softmax' })], 23, [14], 14);
});

test('NormalizedReLU after a Conv1D (channels-first in ONNX), after a Dense (channels-last) and on a flat row', async () => {
  await agreeOnFloats('normrelu-conv', [new Conv1D(6, 3, { padding: 'causal' }), new NormalizedReLU(), new MaxPooling1D(2, { padding: 'same' }),
    new Conv1D(4, 2, { padding: 'same' }), new NormalizedReLU({ epsilon: 0.1 })], 60, [9, 14]);
  await agreeOnFloats('normrelu-dense', [new Dense(5), new NormalizedReLU(), new Flatten(), new Dense(4), new NormalizedReLU()], 61, [8], 8);
});

test('TCN layer: skip connections or not, returnSequences both ways, 1x1 match, stacks, causal and same', async () => {
  let seed = 30;
  for (const useSkipConnections of [true, false]) {
    for (const returnSequences of [true, false]) {
      await agreeOnFloats(`tcn-skip${useSkipConnections}-seq${returnSequences}`, [
        new TCN({ nbFilters: 4, kernelSize: 2, dilations: [1, 2, 4], nbStacks: 2, useSkipConnections, returnSequences, dropoutRate: 0.1 }),
        new Dense(2, { activation: 'sigmoid' }),
      ], seed++, [15, 6]);
    }
  }
  await agreeOnFloats('tcn-same-tanh', [new TCN({ nbFilters: C, kernelSize: 3, dilations: [1, 3], padding: 'same', activation: 'tanh' }), new Dense(1)], seed++, [12]);
});

test('the TCN classifiers of tcn_models.ts (dilated and encoder-decoder)', async () => {
  const r = rng(40);
  for (const [name, m] of [
    ['dilated-tcn', dilatedTcnClassifier({ timesteps: 16, channels: C, classes: 3, filters: 6, dilations: [1, 2, 4, 8], seed: 40 })],
    ['ed-tcn', edTcnClassifier({ timesteps: 16, channels: C, classes: 2, filters: [5, 7], seed: 41 })],
    ['ed-tcn-norm-relu', edTcnClassifier({ timesteps: 16, channels: C, classes: 2, filters: [5, 7], activation: 'norm_relu', seed: 43 })],
  ] as const) {
    randomizeWeights(m, 42);
    const x = randomF32(r, B * 16 * C);
    await expectAgreement(name, m, { data: x, shape: [B, 16, C] }, { input: float32(x, [B, 16, C]) });
  }
});

test('convolutions over padded ids: masks, lengths through valid convs and pooling, padding moved for an LSTM and back', async () => {
  const V = 15, T = 14;
  const cases: Array<[string, () => Layer[], number | null]> = [
    ['text-conv-pool', () => [new Embedding(V, 4), new Conv1D(5, 3, { padding: 'same', dilationRate: 2, activation: 'relu' }),
      new MaxPooling1D(2, { padding: 'same' }), new Conv1D(4, 2, { padding: 'valid' }), new GlobalMaxPooling1D(), new Dense(1, { activation: 'sigmoid' })], null],
    ['text-conv-lstm', () => [new Embedding(V, 4), new Conv1D(5, 3, { padding: 'causal', activation: 'relu' }), new LSTM(4, { returnSequences: true }), new GlobalMaxPooling1D(), new Dense(2)], null],
    ['text-lstm-conv-pool-flatten', () => [new Embedding(V, 4, { inputLength: T }), new LSTM(5, { returnSequences: true }), new Conv1D(4, 3, { padding: 'valid' }),
      new MaxPooling1D(3, { strides: 2, padding: 'same' }), new UpSampling1D(2), new Flatten(), new Dense(2, { activation: 'softmax' })], T],
    ['text-tcn-last', () => [new Embedding(V, 4), new TCN({ nbFilters: 5, kernelSize: 2, dilations: [1, 2], returnSequences: false }), new Dense(1)], null],
    ['text-tcn-seq', () => [new Embedding(V, 4), new TCN({ nbFilters: 3, kernelSize: 3, dilations: [1, 2], useSkipConnections: false, returnSequences: true }), new Dense(2)], null],
    ['text-conv-valid-seq', () => [new Embedding(V, 4), new Conv1D(3, 4, { padding: 'valid', activation: 'sigmoid' }), new UpSampling1D(2)], null],
  ];
  let seed = 50;
  for (const [name, layers, fixed] of cases) {
    const m = new Sequential(layers(), { seed });
    m.build([fixed]);
    randomizeWeights(m, seed + 1);
    const p = paddedIds(seed++, 7, T, V, true);
    await expectAgreement(name, m, p.vigil, { tokens: int64(p.ids, [7, T]) });
  }
});

test.run();
