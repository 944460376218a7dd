// What every layer provides to Sequential. Layers see whole batches ("flows"): the data, its shape
// with the batch first, and the valid lengths of each sequence when the batch is padded.
import { backend } from '../../bindings/backend.ts';
import type { TensorData } from '../tensor.ts';
import { knownOptions } from '../options.ts';
import { applyLayer } from './symbolic.ts';
import type { SymbolicTensor } from './symbolic.ts';

export interface Flow {
  data: TensorData;
  shape: number[];
  /** Valid (last, 'pre'-padded) steps of each sequence [batch], or null when every step is valid. */
  lengths: Int32Array | null;
}

/** Per-call settings Sequential hands every layer. */
export interface CallContext {
  training: boolean;
  /** Seed and a stream distinct per (training step, layer) for dropout masks. */
  seed: number;
  stream: number;
  /**
   * Inference only, given to a model's last layer: an array of exactly this call's output size that
   * the layer may write its output into (and return as its flow's data) instead of its own buffer,
   * so predict needs no copy. A layer that cannot ignores it.
   */
  out?: Float32Array;
}

/**
 * The context a wrapper layer hands the layers inside it: the same call without `out` (an inner
 * layer's output is not the model's, so writing it there would clobber the result or alias an
 * input), its dropout stream moved by `streamOffset`.
 */
export function innerContext(ctx: CallContext, streamOffset = 0): CallContext {
  return { training: ctx.training, seed: ctx.seed, stream: ctx.stream + streamOffset };
}

/** Shape without the batch axis; null marks a dimension only known from the data (the time axis). */
export type Shape = (number | null)[];

/** What a capacity hint (Layer.reserve) is for. */
export interface Reserve {
  /** Training batches (forward caches, backward buffers) or inference only. */
  training: boolean;
  /** Whether backward will be asked for the gradient w.r.t. the input (a layer with weights sits before). */
  inputGrad: boolean;
}

/**
 * Calls whose work exceeds this many multiply-adds go through the kernels' Async form (a libuv
 * worker thread); smaller ones run on the calling thread. The hop costs ~0.2 ms per call, and far
 * more in the tail on a busy machine, where the woken worker waits to be scheduled (the onnx bench's
 * TCN at batch 1: p99 14 ms through the worker, 0.8 ms inline). So calls well under a millisecond
 * stay inline: 2^24 multiply-adds take ~0.2-0.5 ms on one core with the AVX-512/AVX2 kernels; the
 * portable kernels are about 10x slower and keep a 16x smaller bound.
 */
export const ASYNC_WORK = backend().simdHardware === 'generic' ? 1 << 20 : 1 << 24;

export interface Weight {
  name: string;
  /** The weight's shape (PyTorch layout); value holds its elements row-major. */
  shape: readonly number[];
  value: Float32Array;
  grad: Float32Array;
}

/** JSON values a layer config may hold (it is written into model files as is). */
export type ConfigValue = number | string | boolean | null | ConfigValue[] | { [key: string]: ConfigValue };
/** A layer's constructor options as plain JSON (see getConfig). */
export type LayerConfig = { [key: string]: ConfigValue };

export abstract class Layer {
  /** Keras' class name, shown by summary(). */
  abstract readonly className: string;
  name = '';
  /** Input shape given at construction (Keras' input_shape), used when this is the first layer. */
  readonly inputShape: Shape | null;
  protected built = false;
  protected outShape: Shape = [];
  protected weightList: Weight[] = [];
  /**
   * Set by the functional Model on the extra layer objects it makes for the second and later
   * applications of a shared layer: weight() then hands out this layer's arrays instead of fresh
   * ones, so both objects read and update the same values (their grads stay separate).
   */
  sharesWeightsOf: Layer | null = null;

  constructor(inputShape?: Shape | null) {
    this.inputShape = inputShape ?? null;
  }

  get isBuilt(): boolean {
    return this.built;
  }

  get outputShape(): Shape {
    return this.outShape;
  }

  /** Trainable weights in a fixed order (live arrays: changing them changes the layer). */
  get weights(): readonly Weight[] {
    return this.weightList;
  }

  /** Whether apply() takes a list of inputs (merge layers: Dot, Add, ...). */
  get takesMany(): boolean {
    return false;
  }

  /**
   * The functional form: records this layer applied to `input` (an Input() or another layer's
   * output; a list for merge layers) and returns the placeholder of its output, to pass on to
   * further layers or to Model({ inputs, outputs }). Applying one layer object twice shares its weights.
   */
  apply(input: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    return applyLayer(this, input, this.takesMany);
  }

  countParams(): number {
    return this.weightList.reduce((n, w) => n + w.value.length, 0);
  }

  /** Creates the weights for inputs of `inputShape` from (seed, stream base); returns the output shape. */
  abstract build(inputShape: Shape, seed: number, streamBase: number): Shape;

  abstract forward(input: Flow, ctx: CallContext): Promise<Flow>;

  /** Gradient w.r.t. the last forward's input (null when `needInputGrad` is false); fills the weights' grads. */
  abstract backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null>;

  /**
   * The options this layer was constructed with, as plain JSON: the registry
   * (layers/registry.ts) rebuilds an equal, unbuilt layer from it (Keras' get_config).
   */
  abstract getConfig(): LayerConfig;

  /**
   * Capacity hint: grow this layer's buffers once to hold a batch of `shape` (batch axis first, every
   * axis at the largest size the caller will send, e.g. fit's batch size and longest sequence), so
   * that the batches that follow, of that shape or smaller, reuse them instead of reallocating as
   * batch shapes vary. Returns the output shape of such a batch, or null when the layer takes no
   * hints (the layers after it then grow their buffers as batches come, as they do without a hint).
   */
  reserve(_shape: readonly number[], _r: Reserve): number[] | null {
    return null;
  }

  /** Called after the weights change (optimizer step, setWeights): drop anything derived from them. */
  weightsChanged(): void {}

  /**
   * Weight penalties (Keras' kernel_regularizer): adds their gradients to the weights' grads after
   * backward() and returns the penalty Sequential adds to the loss. 0 for layers without one.
   * Penalties on activations (ActivityRegularization, Sampling's KL term) must reach earlier
   * layers, so they add their gradient in backward() and only return the value here.
   */
  regularize(): number {
    return 0;
  }

  protected weight(name: string, value: Float32Array, shape: readonly number[]): Float32Array {
    if (shape.reduce((a, b) => a * b, 1) !== value.length) {
      throw new Error(`${this.className}: weight ${name} has ${value.length} values, not the product of [${shape.join(', ')}]`);
    }
    const shared = this.sharesWeightsOf?.weightList[this.weightList.length];
    if (shared && shared.name === name && shared.value.length === value.length) value = shared.value;
    this.weightList.push({ name, shape: [...shape], value, grad: new Float32Array(value.length) });
    return value;
  }
}

/**
 * Reusable buffers by name: one backing array per name grows to the largest size asked for, and
 * each call returns a view of exactly the size wanted. Batches trimmed to their longest sequence
 * vary in size; fresh pages for every size would cost more than the math. reserve() grows a
 * buffer ahead of time (Layer.reserve), so a training epoch allocates nothing.
 */
export class Buffers {
  /** Backing arrays created by every Buffers so far (a test hook: an epoch after reserve adds none). */
  static allocations = 0;
  private readonly floats = new Map<string, Float32Array>();
  private readonly ints = new Map<string, Int32Array>();

  get(name: string, n: number): Float32Array {
    return this.view(this.floats, Float32Array, name, n);
  }

  /** As get(), for Int32 values (token ids, lengths, class labels); names are separate from get()'s. */
  getInt(name: string, n: number): Int32Array {
    return this.view(this.ints, Int32Array, name, n);
  }

  /** Makes `name` hold at least n values without handing out a view (n is known to be the largest). */
  reserve(name: string, n: number): void {
    const b = this.floats.get(name);
    if (!b || b.length < n) this.grow(this.floats, Float32Array, name, n);
  }

  /** As reserve(), for getInt(). */
  reserveInt(name: string, n: number): void {
    const b = this.ints.get(name);
    if (!b || b.length < n) this.grow(this.ints, Int32Array, name, n);
  }

  private view<T extends Float32Array | Int32Array>(map: Map<string, T>, kind: new (n: number) => T, name: string, n: number): T {
    let b = map.get(name);
    if (!b || b.length < n) {
      // A quarter of headroom when growing unannounced: batches cut to their longest sequence creep
      // up in size (1,008, 1,016, 1,020, ... steps), and every regrowth touches fresh pages (the fit
      // bench measured ~1 s per 200 MB of LSTM cache).
      b = this.grow(map, kind, name, b ? Math.max(n, Math.ceil(b.length * 1.25)) : n);
    }
    return (b.length === n ? b : b.subarray(0, n)) as T;
  }

  private grow<T>(map: Map<string, T>, kind: new (n: number) => T, name: string, n: number): T {
    const b = new kind(n);
    Buffers.allocations += 1;
    map.set(name, b);
    return b;
  }
}

/** Keras' L1/L2 weight penalty: l1 * sum|w| + l2 * sum w^2. */
export interface Regularizer {
  l1?: number;
  l2?: number;
}

/** A checked regularizer (null: none), as getConfig stores it. */
export function regularizerOption(fn: string, name: string, v: unknown): { l1: number; l2: number } | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object') throw new TypeError(`${fn}: ${name} must be { l1?, l2 } or null`);
  const r = v as Regularizer;
  const part = (k: 'l1' | 'l2'): number => {
    const x = r[k] ?? 0;
    if (typeof x !== 'number') throw new TypeError(`${fn}: ${name}.${k} must be a number, got ${typeof x}`);
    if (!(x >= 0 && Number.isFinite(x))) throw new RangeError(`${fn}: ${name}.${k} must be a finite number >= 0, got ${x}`);
    return x;
  };
  const out = { l1: part('l1'), l2: part('l2') };
  return out.l1 === 0 && out.l2 === 0 ? null : out;
}

/** Adds the penalty's gradient to w.grad and returns the penalty (summed in float64, in order). */
export function penalize(r: { l1: number; l2: number }, w: Weight): number {
  let sumAbs = 0, sumSq = 0;
  const v = w.value, g = w.grad;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    sumAbs += Math.abs(x);
    sumSq += x * x;
    g[i] += r.l1 * Math.sign(x) + 2 * r.l2 * x;
  }
  return r.l1 * sumAbs + r.l2 * sumSq;
}

export function positiveInt(fn: string, name: string, v: unknown, max = 1 << 24): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${fn}: ${name} must be an integer in [1, ${max}], got ${v}`);
  return v;
}

export function rate(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!(v >= 0 && v < 1)) throw new RangeError(`${fn}: ${name} must be in [0, 1), got ${v}`);
  return v;
}

/** A layer's options bag, {} when omitted; a TypeError for a non-object or a key not in `names`. */
export function options<T extends object>(fn: string, o: unknown, names: readonly (keyof T & string)[]): Partial<T> {
  knownOptions(fn, o, names);
  return (o ?? {}) as Partial<T>;
}
