// The device-resident training session (native/cuda/session.h): one model's weights, gradients,
// optimizer state and activations held by the addon for the session's lifetime, on the GPU
// (createSession(spec, 'cuda')) or, test-only, on the host backend that runs the same step logic
// through the CUDA kernels' host emulations (createSession(spec, 'host'), every build).
import { addon } from './addon.ts';

type F32 = Float32Array;
type I32 = Int32Array;
declare const sessionBrand: unique symbol;
type Handle = { readonly [sessionBrand]: true };

export type SessionLayerKind = 'embedding' | 'lstm' | 'rnn' | 'maxpool' | 'dropout' | 'dense';
export type SessionActivation = 'sigmoid' | 'tanh' | 'relu' | 'linear' | 'softmax';
export type SessionLoss = 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'mse' | 'mae';

/** One layer of a supported stack (native/cuda/session.h's LayerSpec). */
export interface SessionLayer {
  kind: SessionLayerKind;
  /** Input features (Embedding: the vocabulary). */
  in: number;
  /** Embedding: output dimension; recurrent: hidden units; Dense: units; 0 otherwise. */
  units: number;
  returnSequences?: boolean;
  /** Recurrent dropout (LSTM / SimpleRNN) or the Dropout rate. */
  rate?: number;
  activation?: SessionActivation;
  useBias?: boolean;
}

export interface SessionOptimizer {
  name: 'sgd' | 'adam' | 'rmsprop' | 'nadam';
  beta1?: number; beta2?: number; epsilon?: number; rho?: number; momentum?: number;
  nesterov?: boolean; amsgrad?: boolean; centered?: boolean;
  clipnorm?: number; globalClipnorm?: number; clipvalue?: number;
}

export interface SessionSpec {
  layers: SessionLayer[];
  loss: SessionLoss;
  /** The loss reads the last Dense's logits (a sigmoid / softmax output, or fromLogits). */
  onLogits: boolean;
  optimizer: SessionOptimizer;
}

/** One batch: token ids [B, T] (a stack that starts with an Embedding) or x [B, T, I], 'pre'-padded lengths. */
export interface SessionBatch {
  batch: number;
  time: number;
  input: I32 | F32;
  lengths: I32 | null;
  /** Targets [B, C], or labels [B] for the sparse loss; null for inference. */
  targets: F32 | I32 | null;
}

interface SessionAddon {
  sessionCreateCuda(spec: object): Handle;
  _cudaHostSessionCreate(spec: object): Handle;
  sessionSetWeights(h: Handle, weights: F32): void;
  sessionSetWeightsAsync(h: Handle, weights: F32): Promise<void>;
  sessionGetWeights(h: Handle, weights: F32): void;
  sessionGetWeightsAsync(h: Handle, weights: F32): Promise<void>;
  sessionTrainStepAsync(h: Handle, B: number, T: number, input: I32 | F32, lengths: I32 | null, targets: F32 | I32,
    weights: F32 | null, seed: number, step: number, t: number, lr: number, out: F32 | null, loss: Float64Array): Promise<void>;
  sessionReleaseAsync(h: Handle): Promise<void>;
  sessionInferAsync(h: Handle, B: number, T: number, input: I32 | F32, lengths: I32 | null, targets: F32 | I32 | null,
    out: F32, loss: Float64Array): Promise<void>;
}

const native = () => addon<SessionAddon>();

const KINDS: SessionLayerKind[] = ['embedding', 'lstm', 'rnn', 'maxpool', 'dropout', 'dense'];
const ACTS: SessionActivation[] = ['sigmoid', 'tanh', 'relu', 'linear', 'softmax'];
const LOSSES: SessionLoss[] = ['binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy', 'mse', 'mae'];
const OPTS = ['sgd', 'adam', 'rmsprop', 'nadam'];

function index<T>(fn: string, what: string, list: readonly T[], v: T): number {
  const i = list.indexOf(v);
  if (i < 0) throw new RangeError(`${fn}: ${what} must be one of ${list.join(', ')}, got ${JSON.stringify(v)}`);
  return i;
}

/** The spec as the glue reads it (session.h's enums as integers). */
function encode(fn: string, s: SessionSpec): object {
  if (typeof s !== 'object' || s === null || !Array.isArray(s.layers)) throw new TypeError(`${fn}: spec must be { layers, loss, onLogits, optimizer }`);
  const o = s.optimizer;
  if (typeof o !== 'object' || o === null) throw new TypeError(`${fn}: spec.optimizer must be an object`);
  const clip = o.clipnorm !== undefined ? [1, o.clipnorm] : o.globalClipnorm !== undefined ? [2, o.globalClipnorm] : o.clipvalue !== undefined ? [3, o.clipvalue] : [0, 0];
  return {
    layers: s.layers.map((l, i) => {
      if (typeof l !== 'object' || l === null) throw new TypeError(`${fn}: spec.layers[${i}] must be an object`);
      return {
        kind: index(fn, `spec.layers[${i}].kind`, KINDS, l.kind), in: l.in, units: l.units,
        returnSequences: l.returnSequences ?? false, rate: l.rate ?? 0,
        act: index(fn, `spec.layers[${i}].activation`, ACTS, l.activation ?? 'linear'), useBias: l.useBias ?? true,
      };
    }),
    // session.h's lossk::Kind order: BinaryCrossentropy, Categorical, SparseCategorical, MeanSquared, MeanAbsolute.
    loss: index(fn, 'spec.loss', LOSSES, s.loss),
    onLogits: s.onLogits,
    opt: {
      kind: index(fn, 'spec.optimizer.name', OPTS, o.name), beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.epsilon ?? 1e-7,
      rho: o.rho ?? 0.9, momentum: o.momentum ?? 0, nesterov: o.nesterov ?? false, amsgrad: o.amsgrad ?? false,
      centered: o.centered ?? false, clip: clip[0], clipValue: clip[1],
    },
  };
}

/**
 * A native session. Calls on one session run one after another, in the order they were made
 * (overlapping calls queue): the glue's mutex alone would keep two calls apart but not in order
 * (two libuv workers race for it), and every call's loss comes back through one array.
 */
export class NativeSession {
  readonly weightCount: number;
  readonly outputs: number;
  readonly #h: Handle;
  readonly #loss = new Float64Array(1);
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * `backend` 'host' is test-only: the host emulation of the CUDA step (no GPU needed). The spec is
   * checked here; the session's memory (and on the GPU its stream) is made by the first call, on a
   * worker thread, so a failure to make it (out of device memory) rejects that call.
   */
  constructor(spec: SessionSpec, backend: 'cuda' | 'host') {
    const fn = backend === 'cuda' ? 'sessionCreateCuda' : '_cudaHostSessionCreate';
    const enc = encode(fn, spec);
    this.#h = backend === 'cuda' ? native().sessionCreateCuda(enc) : native()._cudaHostSessionCreate(enc);
    this.weightCount = weightSizes(spec).reduce((a, b) => a + b, 0);
    this.outputs = [...spec.layers].reverse().find((l) => l.kind !== 'maxpool' && l.kind !== 'dropout')?.units ?? 0;
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#queue.then(fn);
    this.#queue = r.catch(() => undefined);
    return r;
  }

  /** Every weight, getWeights() order, concatenated. */
  setWeights(flat: F32): Promise<void> {
    return this.#run(() => native().sessionSetWeightsAsync(this.#h, flat));
  }
  getWeights(flat: F32): Promise<void> {
    return this.#run(() => native().sessionGetWeightsAsync(this.#h, flat));
  }

  /** One optimizer step (t >= 1) on a batch; resolves to the loss before the update. `out` [B, C] gets the outputs. */
  trainStep(b: SessionBatch, sampleWeights: F32 | null, seed: number, step: number, t: number, lr: number, out: F32 | null): Promise<number> {
    return this.#run(async () => {
      await native().sessionTrainStepAsync(this.#h, b.batch, b.time, b.input, b.lengths, b.targets as F32 | I32, sampleWeights, seed, step, t, lr, out, this.#loss);
      return this.#loss[0];
    });
  }

  /**
   * Frees the session's memory once any call in flight has ended, instead of whenever the collector
   * gets to the handle (it does not see device memory); later calls reject.
   */
  release(): Promise<void> {
    return this.#run(() => native().sessionReleaseAsync(this.#h));
  }

  /** Outputs [B, C] into `out`; resolves to the loss when the batch has targets, else 0. */
  infer(b: SessionBatch, out: F32): Promise<number> {
    return this.#run(async () => {
      await native().sessionInferAsync(this.#h, b.batch, b.time, b.input, b.lengths, b.targets, out, this.#loss);
      return this.#loss[0];
    });
  }
}

/** Sizes of the weights of a spec, getWeights() order (native weightSizes). */
function weightSizes(spec: SessionSpec): number[] {
  const out: number[] = [];
  for (const l of spec.layers) {
    if (l.kind === 'embedding') out.push(l.in * l.units);
    else if (l.kind === 'lstm' || l.kind === 'rnn') {
      const G = (l.kind === 'lstm' ? 4 : 1) * l.units;
      out.push(G * l.in, G * l.units, G);
    } else if (l.kind === 'dense') {
      out.push(l.units * l.in);
      if (l.useBias ?? true) out.push(l.units);
    }
  }
  return out;
}
