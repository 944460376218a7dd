// @tensorflow/tfjs peer on its pure-JS `cpu` backend (tfjs-node cannot be installed here, and the wasm
// backend cannot train an Embedding). It is two to three orders of magnitude slower than the others, so
// it runs on a sub-batch of the shared data with few repeats (TFJS_PLAN in suites/lstm.ts); the
// per-sequence cost of this backend does not depend on the batch size, so seq/s is comparable.
import { median } from '../harness.ts';
import { EMBED, HIDDEN, VOCAB, type LstmData } from '../data.ts';

type Tf = typeof import('@tensorflow/tfjs');

// tfjs warns on import (suggesting tfjs-node) and on every LSTM built (orthogonal init of a big matrix):
// known and irrelevant to the timing, so they are kept out of the report.
const NOISE = /TensorFlow\.js in Node\.js|tfjs-node|^=+$|Orthogonal initializer/;

async function quietly<T>(fn: () => Promise<T> | T): Promise<T> {
  const warn = console.warn;
  const log = console.log;
  const filter = (orig: typeof console.warn) => (...a: unknown[]) => {
    if (!NOISE.test(String(a[0]).trim())) orig(...a);
  };
  console.warn = filter(warn);
  console.log = filter(log);
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

export async function loadTfjs(): Promise<{ tf: Tf } | { why: string }> {
  try {
    const tf = await quietly(async () => {
      const tf = await import('@tensorflow/tfjs');
      await tf.setBackend('cpu');
      await tf.ready();
      return tf;
    });
    if (tf.getBackend() !== 'cpu') return { why: `tfjs backend is ${tf.getBackend()}, not cpu` };
    return { tf };
  } catch (e) {
    return { why: `@tensorflow/tfjs cannot be loaded (${(e as Error).message.split('\n')[0]})` };
  }
}

export interface TfjsPlan {
  /** Sequences of the shared data used (the first `batch` rows). */
  batch: number;
  /** Timed repeats after the warm-up (the warm-up uses a 2-sequence batch, enough to build the kernels). */
  repeats: number;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Sequences per second for inference and for one training step (forward + backward + Adam). */
export async function measureTfjsLstm(tf: Tf, data: LstmData, plan: TfjsPlan): Promise<{ infer: number; train: number }> {
  const { T } = data;
  const b = Math.min(plan.batch, data.batch);
  const model = await quietly(() => tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: VOCAB, outputDim: EMBED, inputLength: T }),
      tf.layers.lstm({ units: HIDDEN }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  const x = tf.tensor2d(data.tokens.subarray(0, b * T), [b, T], 'int32');
  const y = tf.tensor2d(data.labels.subarray(0, b), [b, 1]);
  const xWarm = x.slice([0, 0], [Math.min(2, b), T]);
  const yWarm = y.slice([0, 0], [Math.min(2, b), 1]);
  try {
    const infer = () => tf.tidy(() => (model.predict(x) as import('@tensorflow/tfjs').Tensor).dataSync());
    tf.tidy(() => (model.predict(xWarm) as import('@tensorflow/tfjs').Tensor).dataSync());
    const tInfer: number[] = [];
    for (let r = 0; r < plan.repeats; r++) {
      const t0 = process.hrtime.bigint();
      infer();
      tInfer.push(seconds(t0));
    }
    await model.trainOnBatch(xWarm, yWarm);
    const tTrain: number[] = [];
    for (let r = 0; r < plan.repeats; r++) {
      const t0 = process.hrtime.bigint();
      await model.trainOnBatch(x, y);
      tTrain.push(seconds(t0));
    }
    return { infer: b / median(tInfer), train: b / median(tTrain) };
  } finally {
    tf.dispose([x, y, xWarm, yWarm]);
    model.dispose();
  }
}
