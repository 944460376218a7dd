// The fit suite's `vigil-kernels` row: the log-breach training step written straight against the
// native bindings (no Sequential, no Layer objects), so `vigil` / `vigil-kernels` is what the model
// layer costs. It makes the same kernel calls, in the same modes and with the same weights, seeds
// and streams, as trainOnBatch on that model (ts/models/sequential.ts and layers/): an Embedding
// gather (not folded: a Dropout sits between it and the LSTM), dropout on the valid steps, the LSTM
// in dense mode with recurrent dropout and 'pre' lengths, dropout on the last state, Dense(1) +
// sigmoid, BCE on the logits, the backward through all of it, one Adam step per weight. Unlike the
// model layer it uses only the sync forms and allocates every buffer once, at the largest batch:
// the floor the kernels set.
import { activationForward } from '../../ts/bindings/activation.ts';
import { denseBackward, denseForward } from '../../ts/bindings/dense.ts';
import { dropoutForward, dropoutSequences } from '../../ts/bindings/dropout.ts';
import { embeddingBackward, embeddingForward } from '../../ts/bindings/embedding.ts';
import { binaryCrossentropyLogits } from '../../ts/bindings/loss.ts';
import { lstmBackward, lstmCacheSize, lstmForward } from '../../ts/bindings/lstm.ts';
import { ADAM_DEFAULTS, adamState, adamStep, type AdamState } from '../../ts/bindings/optimizer.ts';
import { glorotUniform, orthogonal, uniform } from '../../ts/models/initializers.ts';

/** One batch as timeLoop feeds it: `rows` sequences cut to their longest, `steps`, valid length. */
export interface PreparedBatch {
  /** [rows, steps] ids, 'pre'-padded. */
  tokens: Int32Array;
  lengths: Int32Array;
  labels: Float32Array;
  rows: number;
  steps: number;
}

export interface KernelModel {
  vocab: number;
  embed: number;
  hidden: number;
  /** Dropout rate of both Dropout layers and the LSTM's recurrent dropout. */
  rate: number;
  /** Sequential's seed: weight initialisers and dropout masks. */
  seed: number;
}

/** Sequential numbers dropout streams steps * STEP_STREAMS + layer index. */
const STEP_STREAMS = 1024;
/** Layer indices in the model: Embedding, Dropout, LSTM, Dropout, Dense. */
const DROP_IN = 1, LSTM_AT = 2, DROP_OUT = 3, DENSE_AT = 4;

interface Param {
  value: Float32Array;
  grad: Float32Array;
  state: AdamState;
}

/** A training step over preallocated buffers; `step` returns the batch loss before the update. */
export class KernelTrainer {
  private readonly m: KernelModel;
  private readonly emb: Param;
  private readonly wIh: Param;
  private readonly wHh: Param;
  private readonly bias: Param;
  private readonly dW: Param;
  private readonly dB: Param;
  private readonly params: Param[];
  // Activations and their gradients, sized for the largest batch.
  private readonly x: Float32Array;
  private readonly xDrop: Float32Array;
  private readonly dX: Float32Array;
  private readonly dXDrop: Float32Array;
  private readonly cache: Float32Array;
  private readonly h: Float32Array;
  private readonly hDrop: Float32Array;
  private readonly dH: Float32Array;
  private readonly dHDrop: Float32Array;
  private readonly z: Float32Array;
  private readonly y: Float32Array;
  private readonly dZ: Float32Array;
  private steps = 0;

  constructor(m: KernelModel, maxRows: number, maxSteps: number) {
    this.m = m;
    const { vocab: V, embed: E, hidden: H, seed } = m;
    const G = 4 * H;
    // Sequential.build gives layer i the initialiser streams from 16 i + 1 (layers/*.ts build()).
    const forgetOne = new Float32Array(G).fill(1, H, 2 * H);
    this.emb = param(uniform(V * E, -0.05, 0.05, seed, 16 * 0 + 1));
    this.wIh = param(glorotUniform(E, G, seed, 16 * LSTM_AT + 1));
    this.wHh = param(orthogonal(G, H, seed, 16 * LSTM_AT + 2));
    this.bias = param(forgetOne);
    this.dW = param(glorotUniform(H, 1, seed, 16 * DENSE_AT + 1));
    this.dB = param(new Float32Array(1));
    // getWeights() order, the order the optimizer steps them in.
    this.params = [this.emb, this.wIh, this.wHh, this.bias, this.dW, this.dB];
    const n = maxRows * maxSteps;
    this.x = new Float32Array(n * E);
    this.xDrop = new Float32Array(n * E);
    this.dX = new Float32Array(n * E);
    this.dXDrop = new Float32Array(n * E);
    this.cache = new Float32Array(lstmCacheSize(maxRows, maxSteps, H));
    this.h = new Float32Array(maxRows * H);
    this.hDrop = new Float32Array(maxRows * H);
    this.dH = new Float32Array(maxRows * H);
    this.dHDrop = new Float32Array(maxRows * H);
    this.z = new Float32Array(maxRows);
    this.y = new Float32Array(maxRows);
    this.dZ = new Float32Array(maxRows);
  }

  /** Current weights in getWeights() order (live arrays). */
  get weights(): Float32Array[] {
    return this.params.map((p) => p.value);
  }

  step(b: PreparedBatch): number {
    const { vocab: V, embed: E, hidden: H, rate, seed } = this.m;
    const B = b.rows, T = b.steps, N = B * T;
    const base = this.steps * STEP_STREAMS;
    // The kernels take arrays of exactly the batch's size.
    const x = this.x.subarray(0, N * E), xDrop = this.xDrop.subarray(0, N * E);
    const dX = this.dX.subarray(0, N * E), dXDrop = this.dXDrop.subarray(0, N * E);
    const cache = this.cache.subarray(0, lstmCacheSize(B, T, H));
    const h = this.h.subarray(0, B * H), hDrop = this.hDrop.subarray(0, B * H);
    const dH = this.dH.subarray(0, B * H), dHDrop = this.dHDrop.subarray(0, B * H);
    const z = this.z.subarray(0, B), y = this.y.subarray(0, B), dZ = this.dZ.subarray(0, B);

    embeddingForward(V, E, N, b.tokens, this.emb.value, x);
    dropoutSequences(B, T, E, b.lengths, rate, seed, base + DROP_IN, x, xDrop);
    lstmForward({
      batch: B, time: T, hidden: H, input: E, x: xDrop, wIh: this.wIh.value, bias: this.bias.value, wHh: this.wHh.value,
      lengths: b.lengths, padding: 'pre', training: true, dropout: rate, seed, stream: base + LSTM_AT, cache, out: null, hLast: h,
    });
    dropoutForward(B * H, rate, seed, base + DROP_OUT, h, hDrop);
    denseForward(B, H, 1, hDrop, this.dW.value, this.dB.value, z);
    activationForward('sigmoid', B, z, y);
    const loss = binaryCrossentropyLogits(B, 1, z, b.labels, null, dZ);

    denseBackward(B, H, 1, hDrop, this.dW.value, dZ, dHDrop, this.dW.grad, this.dB.grad);
    dropoutForward(B * H, rate, seed, base + DROP_OUT, dHDrop, dH);
    lstmBackward({
      batch: B, time: T, hidden: H, input: E, x: xDrop, wIh: this.wIh.value, wHh: this.wHh.value,
      lengths: b.lengths, padding: 'pre', dropout: rate, seed, stream: base + LSTM_AT, cache, dHlast: dH,
      dX, dWIh: this.wIh.grad, dWHh: this.wHh.grad, dBias: this.bias.grad,
    });
    dropoutSequences(B, T, E, b.lengths, rate, seed, base + DROP_IN, dX, dXDrop);
    embeddingBackward(V, E, N, b.tokens, dXDrop, this.emb.grad);

    this.steps += 1;
    for (const p of this.params) adamStep(this.steps, p.value, p.grad, p.state, ADAM_DEFAULTS);
    return loss;
  }
}

function param(value: Float32Array): Param {
  return { value, grad: new Float32Array(value.length), state: adamState(value.length) };
}

/** The largest rows and steps over `batches`: the shape KernelTrainer preallocates for. */
export function largestShape(batches: readonly PreparedBatch[]): { rows: number; steps: number } {
  let rows = 1, steps = 1;
  for (const b of batches) {
    rows = Math.max(rows, b.rows);
    steps = Math.max(steps, b.steps);
  }
  return { rows, steps };
}
