// Shared by test/cuda-host-session.test.ts (the session's host backend) and test/cuda-parity.test.ts
// (the CUDA backend): supported stacks, their data, and twin models on the CPU and through the
// session (same seed: the same initial weights and dropout masks).
import * as assert from 'uvu/assert';
import { Dense } from '../../ts/models/layers/dense.ts';
import { Dropout } from '../../ts/models/layers/dropout.ts';
import { Embedding } from '../../ts/models/layers/embedding.ts';
import type { Layer } from '../../ts/models/layers/layer.ts';
import { LSTM } from '../../ts/models/layers/lstm.ts';
import { GlobalMaxPooling1D } from '../../ts/models/layers/pooling.ts';
import { SimpleRNN } from '../../ts/models/layers/simple_rnn.ts';
import { Sequential } from '../../ts/models/sequential.ts';
import type { CompileOptions, FitOptions, ModelInput } from '../../ts/models/sequential.ts';
import { relNorm } from './cuda-cases.ts';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// The kernel parity tests' measure, ||a - b|| / ||b||, for the session tests too.
export { relNorm };

/** Token ids in [1, V) (no zeros: nothing is padding by value), 'pre'-padded lengths incl. 0, 1 and T. */
export function tokens(n: number, T: number, V: number, seed: number): ModelInput {
  const r = rng(seed);
  const data = Int32Array.from({ length: n * T }, () => 1 + Math.floor(r() * (V - 1)));
  const lengths = Int32Array.from({ length: n }, (_, i) => (i === 0 ? T : i === 1 ? 1 : i === 2 ? 0 : Math.floor(r() * (T + 1))));
  return { tokens: { data, shape: [n, T] }, lengths };
}

export function floats(n: number, T: number, I: number, seed: number): ModelInput {
  const r = rng(seed);
  const data = Float32Array.from({ length: n * T * I }, () => r() * 2 - 1);
  const lengths = Int32Array.from({ length: n }, (_, i) => (i === 0 ? T : i === 1 ? 0 : 1 + Math.floor(r() * T)));
  return { tokens: { data, shape: [n, T, I] }, lengths };
}

export interface Case {
  label: string;
  layers: () => Layer[];
  compile: () => CompileOptions;
  x: ModelInput;
  y: Float32Array | Int32Array;
  fit: FitOptions;
}

const r0 = rng(7);
export const cases: Case[] = [
  {
    label: 'Embedding → LSTM(seq) → GlobalMaxPooling1D → Dense(sigmoid), BCE, Adam',
    layers: () => [new Embedding(23, 5), new LSTM(7, { returnSequences: true }), new GlobalMaxPooling1D(), new Dense(1, { activation: 'sigmoid' })],
    compile: () => ({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 0.01 }, metrics: ['accuracy'] }),
    x: tokens(13, 9, 23, 1),
    y: Float32Array.from({ length: 13 }, () => (r0() < 0.5 ? 1 : 0)),
    fit: { epochs: 2, batchSize: 5 },
  },
  {
    label: 'Embedding → LSTM (recurrent dropout) → Dropout → Dense(relu) → Dense(sigmoid), BCE, Nadam, globalClipnorm, class weights',
    layers: () => [new Embedding(17, 6), new LSTM(5, { recurrentDropout: 0.3 }), new Dropout(0.25), new Dense(4, { activation: 'relu' }), new Dense(1, { activation: 'sigmoid' })],
    compile: () => ({ loss: 'binary_crossentropy', optimizer: { name: 'nadam', learningRate: 0.02, globalClipnorm: 0.05 } }),
    x: tokens(11, 7, 17, 2),
    y: Float32Array.from({ length: 11 }, () => (r0() < 0.5 ? 1 : 0)),
    fit: { epochs: 2, batchSize: 4, classWeight: { 0: 1, 1: 3 } },
  },
  {
    label: 'SimpleRNN(seq) → LSTM → Dense(tanh) → Dense(linear), MSE, RMSprop with momentum, clipnorm',
    layers: () => [new SimpleRNN(6, { returnSequences: true, inputShape: [8, 3] }), new LSTM(5), new Dense(3, { activation: 'tanh' }), new Dense(2)],
    compile: () => ({ loss: 'mse', optimizer: { name: 'rmsprop', learningRate: 0.01, momentum: 0.5, clipnorm: 0.5 } }),
    x: floats(10, 8, 3, 3),
    y: Float32Array.from({ length: 20 }, () => r0() * 2 - 1),
    fit: { epochs: 2, batchSize: 3 },
  },
  {
    label: 'LSTM(seq, recurrent dropout) → SimpleRNN(seq) → GlobalMaxPooling1D → Dense(softmax), sparse CCE, SGD nesterov',
    layers: () => [new LSTM(4, { returnSequences: true, recurrentDropout: 0.2, inputShape: [6, 2] }), new SimpleRNN(5, { returnSequences: true }),
      new GlobalMaxPooling1D(), new Dense(3, { activation: 'softmax' })],
    compile: () => ({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true }, metrics: ['accuracy'] }),
    x: floats(9, 6, 2, 4),
    y: Int32Array.from({ length: 9 }, () => Math.floor(r0() * 3)),
    fit: { epochs: 2, batchSize: 4 },
  },
  {
    label: 'Embedding (not folded) → Dropout → LSTM (recurrent dropout) → Dropout → Dense(sigmoid), BCE, Adam (the log-breach recipe)',
    layers: () => [new Embedding(15, 4), new Dropout(0.5), new LSTM(6, { recurrentDropout: 0.5 }), new Dropout(0.5), new Dense(1, { activation: 'sigmoid' })],
    compile: () => ({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 0.01 } }),
    x: tokens(12, 8, 15, 5),
    y: Float32Array.from({ length: 12 }, () => (r0() < 0.5 ? 1 : 0)),
    fit: { epochs: 2, batchSize: 5 },
  },
];

export async function twins(c: Case): Promise<[Sequential, Sequential]> {
  const cpu = new Sequential(c.layers(), { seed: 5, device: 'cpu' });
  const dev = new Sequential(c.layers(), { seed: 5, device: 'cuda' });
  cpu.compile(c.compile());
  dev.compile(c.compile());
  return [cpu, dev];
}

/** Fits twin models (CPU, session) and compares losses, metrics, weights, predict and evaluate. */
export async function checkFitParity(c: Case): Promise<void> {
  const [cpu, dev] = await twins(c);
  const hc = await cpu.fit(c.x, c.y, c.fit);
  const hd = await dev.fit(c.x, c.y, c.fit);
  hc.epochs.forEach((e, i) => {
    const got = hd.epochs[i].loss;
    assert.ok(Math.abs(got - e.loss) <= 1e-5 * Math.max(1, Math.abs(e.loss)), `${c.label}: epoch ${i} loss ${got} vs ${e.loss}`);
    for (const [k, v] of Object.entries(e.metrics)) assert.is(hd.epochs[i].metrics[k], v, `${c.label}: ${k}`);
  });
  const wc = cpu.getWeights(), wd = dev.getWeights();
  // The weights moved (a session that trained nothing would match the initial weights only).
  const init = new Sequential(c.layers(), { seed: 5, device: 'cpu' });
  init.build(cpu.getConfig().inputShape);
  assert.ok(wc.some((w, i) => relNorm(w, init.getWeights()[i]) > 1e-3), `${c.label}: the CPU fit moved no weight`);
  wc.forEach((w, i) => {
    const e = relNorm(wd[i], w);
    assert.ok(e < 1e-4, `${c.label}: weight ${i} differs by ${e}`);
  });
  const pc = await cpu.predict(c.x), pd = await dev.predict(c.x);
  assert.equal(pd.shape, pc.shape);
  assert.ok(relNorm(pd.data, pc.data) < 1e-4, `${c.label}: predict ${relNorm(pd.data, pc.data)}`);
  const ec = await cpu.evaluate(c.x, c.y), ed = await dev.evaluate(c.x, c.y);
  assert.ok(Math.abs(ed.loss - ec.loss) <= 1e-4 * Math.max(1, ec.loss), `${c.label}: evaluate ${ed.loss} vs ${ec.loss}`);
}
