// compile()'s losses and the 'accuracy' metric, with Keras' names, reduction ("sum over batch
// size": Σ wᵢ·lᵢ / N) and target checks. A sigmoid/softmax output feeding a cross-entropy loss is
// scored on the Dense layer's logits with the stable from-logits kernels.
import {
  binaryCrossentropyLogits, categoricalCrossentropyLogits, meanAbsoluteError, meanSquaredError,
  sparseCategoricalCrossentropyLogits,
} from '../bindings/loss.ts';
import type { Activation } from './layers/dense.ts';

export type LossName = 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'mse' | 'mae';
export type LossSpec = LossName | 'mean_squared_error' | 'mean_absolute_error' | { name: LossName; fromLogits?: boolean };

const ALIASES: Record<string, LossName> = {
  binary_crossentropy: 'binary_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  mse: 'mse',
  mean_squared_error: 'mse',
  mae: 'mae',
  mean_absolute_error: 'mae',
};

// Keras' backend epsilon: probabilities are clipped to [ε, 1 − ε].
const EPS = 1e-7;

export class Loss {
  readonly name: LossName;
  /** True when the loss reads the output layer's pre-activation (logits) and backpropagates from there. */
  readonly onLogits: boolean;
  /** True when the model's outputs are logits (fromLogits with a linear output): accuracy applies the link. */
  readonly outputsAreLogits: boolean;

  constructor(spec: LossSpec, outputActivation: Activation | null) {
    const o = typeof spec === 'string' ? { name: spec, fromLogits: false } : spec;
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string') {
      throw new TypeError(`compile: loss must be one of ${Object.keys(ALIASES).join(', ')}`);
    }
    const name = Object.hasOwn(ALIASES, o.name) ? ALIASES[o.name] : undefined;
    if (!name) throw new RangeError(`compile: loss must be one of ${Object.keys(ALIASES).join(', ')}, got '${o.name}'`);
    this.name = name;
    const fromLogits = o.fromLogits ?? false;
    const crossEntropy = name !== 'mse' && name !== 'mae';
    const link = name === 'binary_crossentropy' ? 'sigmoid' : 'softmax';
    this.onLogits = crossEntropy && !fromLogits && outputActivation === link;
    this.outputsAreLogits = crossEntropy && fromLogits;
    if (fromLogits && outputActivation !== 'linear') {
      throw new TypeError(`compile: loss ${name} with fromLogits needs a linear output layer, got '${outputActivation}'`);
    }
    if (crossEntropy && name !== 'binary_crossentropy' && !this.onLogits && !fromLogits) {
      throw new TypeError(`compile: loss ${name} needs a softmax output layer (or fromLogits with a linear one)`);
    }
  }

  get sparse(): boolean {
    return this.name === 'sparse_categorical_crossentropy';
  }

  /** Elements of the target per output row of C values. */
  targetWidth(C: number): number {
    return this.sparse ? 1 : C;
  }

  /** Checks targets for N rows of C outputs; returns them as the kernels want (Int32 labels or Float32). */
  targets(y: Float32Array | Int32Array, N: number, C: number, fn: string): Float32Array | Int32Array {
    const want = N * this.targetWidth(C);
    if (y.length !== want) {
      throw new RangeError(`${fn}: y must hold ${want} values (${N} rows × ${this.targetWidth(C)}) for loss ${this.name}, got ${y.length}`);
    }
    if (this.sparse) {
      const labels = y instanceof Int32Array ? y : new Int32Array(y.length);
      for (let i = 0; i < y.length; i++) {
        const v = y[i];
        if (!Number.isInteger(v) || v < 0 || v >= C) throw new RangeError(`${fn}: y labels must be integers in [0, ${C - 1}], got ${v} at row ${i}`);
        labels[i] = v;
      }
      return labels;
    }
    const t = y instanceof Float32Array ? y : Float32Array.from(y);
    for (let i = 0; i < t.length; i++) {
      const v = t[i];
      if (!Number.isFinite(v)) throw new RangeError(`${fn}: y must be finite, got ${v} at index ${i}`);
      if (this.name === 'binary_crossentropy' && (v < 0 || v > 1)) {
        throw new RangeError(`${fn}: y values must be in [0, 1] for binary_crossentropy, got ${v} at index ${i}`);
      }
      if (this.name === 'categorical_crossentropy' && v < 0) {
        throw new RangeError(`${fn}: y values must be non-negative for categorical_crossentropy, got ${v} at index ${i}`);
      }
    }
    return t;
  }

  /** Class of each row, for class weights. */
  rowClass(t: Float32Array | Int32Array, row: number, C: number): number {
    if (this.sparse) return t[row];
    if (C === 1) return t[row] >= 0.5 ? 1 : 0;
    let best = 0;
    for (let c = 1; c < C; c++) if (t[row * C + c] > t[row * C + best]) best = c;
    return best;
  }

  /** The loss of N rows; `pred` is the logits when onLogits, else the model's output. grad (optional) gets d loss / d pred. */
  compute(N: number, C: number, pred: Float32Array, t: Float32Array | Int32Array, w: Float32Array | null, grad: Float32Array | null): number {
    const logits = this.onLogits || this.outputsAreLogits;
    switch (this.name) {
      case 'binary_crossentropy':
        return logits
          ? binaryCrossentropyLogits(N, C, pred, t as Float32Array, w, grad)
          : binaryCrossentropyProbabilities(N, C, pred, t as Float32Array, w, grad);
      case 'categorical_crossentropy':
        return categoricalCrossentropyLogits(N, C, pred, t as Float32Array, w, grad);
      case 'sparse_categorical_crossentropy':
        return sparseCategoricalCrossentropyLogits(N, C, pred, t as Int32Array, w, grad);
      case 'mse':
        return meanSquaredError(N, C, pred, t as Float32Array, w, grad);
      case 'mae':
        return meanAbsoluteError(N, C, pred, t as Float32Array, w, grad);
    }
  }

  /** [correct, counted] of Keras' 'accuracy' for this loss over N rows of outputs. */
  accuracy(N: number, C: number, out: Float32Array, t: Float32Array | Int32Array): [number, number] {
    let right = 0;
    if (this.name === 'binary_crossentropy' || (C === 1 && !this.sparse)) {
      const cut = this.outputsAreLogits ? 0 : 0.5;
      for (let i = 0; i < N * C; i++) right += Number((out[i] > cut) === (t[i] > 0.5));
      return [right, N * C];
    }
    for (let r = 0; r < N; r++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (out[r * C + c] > out[r * C + best]) best = c;
      right += Number(best === this.rowClass(t, r, C));
    }
    return [right, N];
  }
}

// Keras' binary cross-entropy on probabilities (a non-sigmoid output such as relu): p clipped to
// [ε, 1 − ε], l = −(y·log(p + ε) + (1 − y)·log(1 − p + ε)), averaged over the C columns; clipped
// entries get no gradient, as tf.clip_by_value gives. Float64 sums in row order (deterministic).
function binaryCrossentropyProbabilities(
  N: number, C: number, p: Float32Array, y: Float32Array, w: Float32Array | null, grad: Float32Array | null,
): number {
  let total = 0;
  for (let r = 0; r < N; r++) {
    const wr = w ? w[r] : 1;
    let row = 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const q = Math.min(Math.max(p[i], EPS), 1 - EPS);
      row -= y[i] * Math.log(q + EPS) + (1 - y[i]) * Math.log(1 - q + EPS);
      if (grad) {
        const inside = p[i] > EPS && p[i] < 1 - EPS;
        grad[i] = inside ? (-(y[i] / (q + EPS)) + (1 - y[i]) / (1 - q + EPS)) * wr / (C * N) : 0;
      }
    }
    total += (wr * row) / C;
  }
  return total / N;
}
