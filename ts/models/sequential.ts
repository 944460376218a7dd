// Keras' Sequential model: a stack of layers trained with compile() + fit(), scored with
// evaluate() and predict(). Every call is async; kernels that take more than about a millisecond
// run through their Async form, so training leaves the event loop free.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { randomUniform } from '../bindings/random.ts';
import type { Callback, CallbackModel, EpochLogs } from './callbacks.ts';
import { Loss } from './losses.ts';
import type { LossSpec } from './losses.ts';
import { getOptimizer } from './optimizers.ts';
import type { Optimizer, OptimizerSpec } from './optimizers.ts';
import { Dense } from './layers/dense.ts';
import { Embedding } from './layers/embedding.ts';
import { Buffers, Layer } from './layers/layer.ts';
import type { Flow, Shape } from './layers/layer.ts';
import { GlobalMaxPooling1D } from './layers/pooling.ts';
import { Recurrent } from './layers/recurrent.ts';
import { describeOptimizer, encodeSequential, loadSequential, preprocessingToJSON, writeFileAtomic } from './serialize.ts';
import type { CompileJSON, LoadedModel, SaveOptions, SequentialJSON } from './serialize.ts';
import { streamScores } from './stream/pipeline.ts';
import type { ScoredBatch } from './stream/pipeline.ts';
import { textModel } from './stream/models.ts';
import type { TextStreamOptions } from './stream/models.ts';
import type { StreamInput } from './stream/source.ts';
import { sizeOf } from './tensor.ts';
import type { Tensor } from './tensor.ts';

/**
 * Model input: a tensor [n, ...] (token ids [n, time] as Int32Array for a model that starts with an
 * Embedding), or token ids with the valid length of each sequence. Sequences are 'pre'-padded
 * (Keras pad_sequences' default): the valid steps are the last `lengths[i]`; recurrent layers skip
 * the padded steps. Without lengths, an Embedding with maskZero derives them from leading zeros.
 */
export type ModelInput = Tensor | { tokens: Tensor; lengths?: Int32Array | null };
/** Targets: [n] or [n, ...output shape] values (Int32 class labels for the sparse loss). */
export type Targets = Tensor | Float32Array | Int32Array | readonly number[];

export interface CompileOptions {
  loss: LossSpec;
  /** Default 'rmsprop', as Keras. */
  optimizer?: OptimizerSpec;
  /** Only 'accuracy' (also 'acc') so far. */
  metrics?: string[];
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Fraction of the rows held out for validation: the LAST rows, taken before shuffling (Keras). */
  validationSplit?: number;
  validationData?: [ModelInput, Targets];
  shuffle?: boolean;
  /** Seed of the shuffling and the dropout masks (default: the model's seed). */
  seed?: number;
  /** Weight of each class in the loss: { 0: 1, 1: 5 } or [1, 5]; classes not listed weigh 1. */
  classWeight?: Record<number, number> | readonly number[];
  callbacks?: Callback[];
  /** Aborting stops training between batches; fit then RESOLVES with the epochs completed (aborted: true). */
  signal?: AbortSignal;
  /** Print one line per epoch (default false). */
  verbose?: boolean | number;
}

export interface History {
  epochs: EpochLogs[];
  /** True when the signal stopped training (the epoch in progress is not reported). */
  aborted: boolean;
  /** True when a callback (EarlyStopping) stopped training. */
  stoppedEarly: boolean;
}

export interface EvaluateResult {
  loss: number;
  metrics: Record<string, number>;
}

export interface SequentialOptions {
  /** Seed of the weight initialisers, shuffling and dropout (default 0). */
  seed?: number;
  name?: string;
}

interface Data {
  flow: Flow;
  n: number;
  /** Targets as the loss wants them, rows of `tw` values. */
  targets: Float32Array | Int32Array | null;
}

const METRICS: Record<string, string> = { accuracy: 'accuracy', acc: 'accuracy' };

function snake(name: string): string {
  return name === 'LSTM' ? 'lstm' : name.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/RNN/, 'rnn').toLowerCase();
}

function intOption(fn: string, name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Rows of t (each `width` values) gathered into a new array, or into `into`'s buffer `name` when given. */
function rowsOf(t: Float32Array | Int32Array, rows: ArrayLike<number>, width: number, into?: Buffers, name = ''): Float32Array | Int32Array {
  const n = rows.length * width;
  const out = into ? (t instanceof Int32Array ? into.getInt(name, n) : into.get(name, n))
    : new (t.constructor as new (n: number) => Float32Array | Int32Array)(n);
  for (let i = 0; i < rows.length; i++) out.set(t.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  return out;
}

/**
 * Index of the first id outside [0, limit), or -1. Its own small function so that the pass over
 * fit's tokens (27 M in the fit bench) runs as one monomorphic loop: inline in data() it took
 * about twice as long.
 */
function firstOutOfRange(ids: Int32Array, limit: number): number {
  // Unsigned, a negative id is above any limit: one compare checks both ends.
  for (let i = 0; i < ids.length; i++) if (ids[i] >>> 0 >= limit) return i;
  return -1;
}

/** The longest of `lengths`, at least 1: the steps a batch keeps when cut to its longest sequence. */
function longest(lengths: Int32Array): number {
  let keep = 1;
  for (const l of lengths) keep = Math.max(keep, l);
  return keep;
}

const allRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

export class Sequential implements CallbackModel {
  readonly name: string;
  readonly seed: number;
  readonly layers: Layer[] = [];
  /** Set by a callback to end fit() after the current epoch. */
  stopTraining = false;
  private inputShape: Shape | null = null;
  private loss: Loss | null = null;
  #optimizer: Optimizer | null = null;
  private metrics: string[] = [];
  private steps = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly names = new Map<string, number>();
  /** Per-step arrays of the model itself (the loss gradient), reused from step to step. */
  private readonly scratch = new Buffers();

  constructor(layers: Layer[] = [], opts: SequentialOptions = {}) {
    if (!Array.isArray(layers)) throw new TypeError('Sequential: layers must be an array of layers');
    if (typeof opts !== 'object' || opts === null) throw new TypeError('Sequential: options must be an object');
    this.seed = intOption('Sequential', 'seed', opts.seed, 0, 0);
    this.name = opts.name ?? 'sequential';
    for (const l of layers) this.add(l);
  }

  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError('Sequential.add: layer must be a vigil layer (Embedding, LSTM, Dense, ...)');
    if (this.inputShape) throw new TypeError('Sequential.add: the model is already built');
    if (this.layers.includes(layer)) throw new TypeError(`Sequential.add: layer ${layer.name} is already in the model`);
    const base = snake(layer.className);
    const k = this.names.get(base) ?? 0;
    this.names.set(base, k + 1);
    layer.name = k === 0 ? base : `${base}_${k}`;
    this.layers.push(layer);
  }

  /** The optimizer compile() made (null before compile()); its learningRate may be changed between steps. */
  get optimizer(): Optimizer | null {
    return this.#optimizer;
  }

  get built(): boolean {
    return this.inputShape !== null;
  }

  private get first(): Layer {
    if (this.layers.length === 0) throw new TypeError('Sequential: the model has no layers');
    return this.layers[0];
  }

  /**
   * Creates the weights for inputs of `inputShape` (without the batch axis; null for a time axis
   * known only from the data). Without an argument, uses the first layer's inputShape (an
   * Embedding needs none).
   */
  build(inputShape?: Shape): void {
    if (this.built) return;
    const first = this.first;
    const shape = inputShape ?? first.inputShape;
    if (!shape) throw new TypeError(`Sequential.build: inputShape is needed (give the first layer an inputShape)`);
    if (!Array.isArray(shape) || shape.some((d) => d !== null && (!Number.isInteger(d) || d < 1))) {
      throw new RangeError(`Sequential.build: inputShape must hold positive integers or null, got ${JSON.stringify(shape)}`);
    }
    this.layers.forEach((l, i) => {
      if (l instanceof Embedding && i > 0) throw new TypeError(`Sequential: an Embedding must be the first layer (${l.name} is layer ${i})`);
      if (l instanceof Recurrent) l.gatherFrom = null;
      if (l instanceof Embedding) l.folded = false;
    });
    // An Embedding feeding a recurrent layer folds into its input projection (gather mode).
    const next = this.layers[1];
    if (first instanceof Embedding && next instanceof Recurrent) {
      first.folded = true;
      next.gatherFrom = first;
    }
    let s: Shape = [...shape];
    this.layers.forEach((l, i) => (s = l.build(s, this.seed, 16 * i + 1)));
    this.inputShape = [...shape];
  }

  /** Sets the loss, optimizer and metrics; a new compile() starts a fresh optimizer state. */
  compile(opts: CompileOptions): void {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('compile: options must be an object');
    const last = this.layers[this.layers.length - 1];
    if (!last) throw new TypeError('compile: the model has no layers');
    this.loss = new Loss(opts.loss, last instanceof Dense ? last.activation : null);
    this.#optimizer = getOptimizer(opts.optimizer ?? 'rmsprop');
    const metrics = opts.metrics ?? [];
    if (!Array.isArray(metrics)) throw new TypeError('compile: metrics must be an array of names');
    this.metrics = metrics.map((m) => {
      if (typeof m !== 'string' || !Object.hasOwn(METRICS, m)) throw new RangeError(`compile: metrics supports 'accuracy', got '${m}'`);
      return m;
    });
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Copies of every weight, layer by layer in Keras' order (kernel, recurrent kernel, bias). */
  getWeights(): Float32Array[] {
    return this.layers.flatMap((l) => l.weights.map((w) => w.value.slice()));
  }

  /** Replaces every weight (same order and sizes as getWeights()). */
  setWeights(weights: readonly Float32Array[]): void {
    const all = this.layers.flatMap((l) => l.weights);
    if (!Array.isArray(weights) || weights.length !== all.length) {
      throw new RangeError(`setWeights: weights must be an array of ${all.length} Float32Arrays, got ${Array.isArray(weights) ? weights.length : typeof weights}`);
    }
    weights.forEach((w, i) => {
      if (!(w instanceof Float32Array)) throw new TypeError(`setWeights: weights[${i}] must be a Float32Array`);
      if (w.length !== all[i].value.length) {
        throw new RangeError(`setWeights: weights[${i}] (${all[i].name}) must have ${all[i].value.length} values, got ${w.length}`);
      }
    });
    weights.forEach((w, i) => all[i].value.set(w));
    for (const l of this.layers) l.weightsChanged();
  }

  /** Keras-style table of layers, output shapes and parameter counts. */
  summary(): string {
    if (!this.built) {
      try {
        this.build();
      } catch {
        throw new TypeError('summary: the model is not built yet: call build(inputShape) or fit() first');
      }
    }
    const dim = (s: Shape) => `(None, ${s.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;
    const rows = this.layers.map((l) => [` ${l.name} (${l.className})`, dim(l.outputShape), l.countParams().toLocaleString('en-US')]);
    const line = (c: string[]) => c[0].padEnd(29) + c[1].padEnd(26) + c[2];
    const total = this.countParams().toLocaleString('en-US');
    return [
      `Model: "${this.name}"`,
      '_'.repeat(65),
      line([' Layer (type)', 'Output Shape', 'Param #']),
      '='.repeat(65),
      ...rows.map(line),
      '='.repeat(65),
      `Total params: ${total}`,
      `Trainable params: ${total}`,
      'Non-trainable params: 0',
      '_'.repeat(65),
    ].join('\n');
  }

  // Calls share the layers' buffers and weights: overlapping ones run one after another, in order.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private compiled(fn: string): Loss {
    if (!this.loss || !this.#optimizer) throw new TypeError(`${fn}: the model must be compiled first (call compile({ loss, optimizer }))`);
    return this.loss;
  }

  /** Checks and converts x (and y) into a flow of n rows; builds the model from x when needed. */
  private data(x: ModelInput, y: Targets | null, fn: string, argX = 'x', argY = 'y'): Data {
    if (typeof x !== 'object' || x === null) throw new TypeError(`${fn}: ${argX} must be a tensor or { tokens, lengths }`);
    const withTokens = 'tokens' in x;
    const t = withTokens ? (x as { tokens: Tensor }).tokens : (x as Tensor);
    const lengths = withTokens ? ((x as { lengths?: Int32Array | null }).lengths ?? null) : null;
    if (typeof t !== 'object' || t === null || !(t.data instanceof Float32Array || t.data instanceof Int32Array) || !Array.isArray(t.shape)) {
      throw new TypeError(`${fn}: ${argX}${withTokens ? '.tokens' : ''} must be a tensor { data: Float32Array | Int32Array, shape }`);
    }
    if (t.shape.length < 2) throw new RangeError(`${fn}: ${argX} must have shape [n, ...], got [${t.shape.join(', ')}]`);
    if (sizeOf(t.shape) !== t.data.length) {
      throw new RangeError(`${fn}: ${argX} has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    }
    const n = t.shape[0];
    if (n < 1) throw new RangeError(`${fn}: ${argX} must have at least one row`);
    const first = this.first;
    let data: Float32Array | Int32Array = t.data;
    if (first instanceof Embedding) {
      if (t.shape.length !== 2) throw new RangeError(`${fn}: ${argX} must be token ids [n, time], got [${t.shape.join(', ')}]`);
      if (data instanceof Float32Array) {
        const ids = new Int32Array(data.length);
        for (let i = 0; i < data.length; i++) {
          if (!Number.isInteger(data[i])) throw new TypeError(`${fn}: ${argX} token ids must be integers, got ${data[i]} at index ${i}`);
          ids[i] = data[i];
        }
        data = ids;
      }
      const i = firstOutOfRange(data, first.inputDim);
      if (i >= 0) {
        throw new RangeError(`${fn}: ${argX} token ids must be in [0, ${first.inputDim - 1}] (Embedding inputDim), got ${data[i]} at index ${i}`);
      }
    } else if (data instanceof Int32Array) {
      data = Float32Array.from(data);
    }
    if (lengths !== null) {
      if (!(lengths instanceof Int32Array)) throw new TypeError(`${fn}: ${argX}.lengths must be an Int32Array`);
      if (lengths.length !== n) throw new RangeError(`${fn}: ${argX}.lengths must have ${n} values (one per row), got ${lengths.length}`);
      const T = t.shape[1];
      for (let i = 0; i < n; i++) {
        if (!Number.isInteger(lengths[i]) || lengths[i] < 0 || lengths[i] > T) {
          throw new RangeError(`${fn}: ${argX}.lengths values must be in [0, ${T}], got ${lengths[i]} at row ${i}`);
        }
      }
      if (t.shape.length < 3 && !(first instanceof Embedding)) {
        throw new RangeError(`${fn}: ${argX}.lengths needs sequences [n, time, ...]`);
      }
    }
    if (!this.built) {
      const inner: Shape = t.shape.slice(1);
      // Token models stay open in the time axis unless a Flatten needs it.
      if (first instanceof Embedding && !this.layers.some((l) => l.className === 'Flatten')) inner[0] = first.inputShape?.[0] ?? null;
      this.build(first.inputShape && !(first instanceof Embedding) ? undefined : inner);
    }
    const want = this.inputShape as Shape;
    const got = t.shape.slice(1);
    if (got.length !== want.length || got.some((d, i) => want[i] !== null && want[i] !== d)) {
      throw new RangeError(`${fn}: ${argX} rows must have shape [${want.map((d) => d ?? 'any').join(', ')}], got [${got.join(', ')}]`);
    }
    let lens = lengths;
    if (!lens && first instanceof Embedding && first.maskZero) {
      // Keras' mask_zero with 'pre' padding: the valid steps follow the leading zeros.
      const T = t.shape[1];
      lens = new Int32Array(n);
      for (let b = 0; b < n; b++) {
        let lead = 0;
        while (lead < T && data[b * T + lead] === 0) lead++;
        lens[b] = T - lead;
      }
    }
    const flow: Flow = { data, shape: [...t.shape], lengths: lens };
    if (y === null) return { flow, n, targets: null };
    const loss = this.compiled(fn);
    const yData = ArrayBuffer.isView(y) ? (y as Float32Array | Int32Array) : Array.isArray(y) ? Float32Array.from(y as number[]) : (y as Tensor).data;
    if (!(yData instanceof Float32Array || yData instanceof Int32Array)) {
      throw new TypeError(`${fn}: ${argY} must be a tensor, a Float32Array, an Int32Array or an array of numbers`);
    }
    const yRows = !ArrayBuffer.isView(y) && !Array.isArray(y) ? (y as Tensor).shape[0] : null;
    if (yRows !== null && yRows !== n) throw new RangeError(`${fn}: ${argX} has ${n} rows but ${argY} has ${yRows}`);
    const outRow = sizeOf(this.outputShapeFor(t.shape[1]));
    const C = this.outputShapeFor(t.shape[1]).at(-1) as number;
    const perRow = (outRow / C) * loss.targetWidth(C);
    if (yData.length !== n * perRow) {
      throw new RangeError(`${fn}: ${argX} has ${n} rows but ${argY} has ${yData.length} values (${perRow} per row expected)`);
    }
    return { flow, n, targets: loss.targets(yData, n * (outRow / C), C, fn) };
  }

  private outputShapeFor(time: number): number[] {
    const s = this.layers[this.layers.length - 1].outputShape;
    return s.map((d) => (d === null ? time : d));
  }

  // Whether a batch may drop its leading all-padding steps: the result cannot depend on the time
  // axis (no per-step output, no Flatten) and the input is a sequence.
  private get trimmable(): boolean {
    const first = this.layers[0];
    return (first instanceof Embedding || first instanceof Recurrent) &&
      this.layers[this.layers.length - 1].outputShape.length === 1 &&
      !this.layers.some((l) => l.className === 'Flatten');
  }

  /**
   * Rows of d as a batch. With lengths ('pre' padding) the batch keeps only its last max(length)
   * steps: recurrent layers skip padded steps anyway, but their buffers and step loops scale with
   * the time axis, so a 1,024-step padding of 150-step sequences would still cost.
   */
  private batchOf(d: Data, rows: ArrayLike<number>, into?: Buffers): Flow {
    const f = d.flow;
    const lengths = f.lengths ? (rowsOf(f.lengths, rows, 1, into, 'lengths') as Int32Array) : null;
    const T = f.shape[1];
    const keep = lengths && this.trimmable ? longest(lengths) : T;
    const inner = f.shape.slice(2);
    const step = sizeOf(inner);
    if (keep === T) {
      return { data: rowsOf(f.data, rows, T * step, into, 'x'), shape: [rows.length, ...f.shape.slice(1)], lengths };
    }
    const n = rows.length * keep * step;
    const data = into ? (f.data instanceof Int32Array ? into.getInt('x', n) : into.get('x', n))
      : new (f.data.constructor as new (n: number) => Float32Array | Int32Array)(n);
    for (let i = 0; i < rows.length; i++) {
      const from = (rows[i] * T + T - keep) * step;
      data.set(f.data.subarray(from, from + keep * step), i * keep * step);
    }
    return { data, shape: [rows.length, keep, ...inner], lengths };
  }

  /**
   * Grows every layer's buffers (Layer.reserve) and `batches` (fit's copies of a batch) once to the
   * largest batch of d in batches of `batchSize`: its rows, and its longest sequence when batches
   * are cut to it (batchOf). Sequences of varying lengths (and the short last batch) then reuse the
   * same memory instead of reallocating, and touching fresh pages, whenever a batch is the longest yet.
   */
  private reserve(d: Data, batchSize: number, training: boolean, batches: Buffers): void {
    const f = d.flow;
    const rows = Math.min(batchSize, d.n);
    const shape = [rows, ...f.shape.slice(1)];
    if (f.lengths) {
      batches.reserveInt('lengths', rows);
      if (this.trimmable) shape[1] = longest(f.lengths);
    }
    const n = sizeOf(shape);
    if (f.data instanceof Int32Array) batches.reserveInt('x', n);
    else batches.reserve('x', n);
    const tw = (d.targets as Float32Array | Int32Array).length / d.n;
    if (d.targets instanceof Int32Array) batches.reserveInt('y', rows * tw);
    else batches.reserve('y', rows * tw);
    if (training) batches.reserve('w', rows);
    // The loss gradient, one row of the output per sample (or per step with sequence outputs).
    const out = this.outputShapeFor(shape[1]);
    this.scratch.reserve('dLoss', rows * sizeOf(out));
    const hasWeights = this.layers.map((l) => l.countParams() > 0);
    let s: number[] | null = shape;
    for (let i = 0; i < this.layers.length && s; i++) {
      s = this.layers[i].reserve(s, { training, inputGrad: hasWeights.slice(0, i).some(Boolean) });
    }
  }

  private async forward(x: Flow, training: boolean, seed: number): Promise<Flow> {
    let f = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const ctx = { training, seed, stream: this.steps * 1024 + i };
      // Inference: a sequence-returning recurrent layer and the GlobalMaxPooling1D after it run as
      // one kernel call, without the [B, T, H] per-step output (see Recurrent.forwardMaxPooled).
      if (!training && layer instanceof Recurrent && layer.returnSequences && this.layers[i + 1] instanceof GlobalMaxPooling1D) {
        f = await layer.forwardMaxPooled(f, ctx);
        i++;
        continue;
      }
      f = await layer.forward(f, ctx);
    }
    return f;
  }

  /** Forward, loss, backward (gradients left in the layers' weights); returns [loss, correct, counted]. */
  private async gradients(x: Flow, t: Float32Array | Int32Array, w: Float32Array | null, seed: number): Promise<[number, number, number]> {
    const loss = this.loss as Loss;
    const out = await this.forward(x, true, seed);
    const C = out.shape[out.shape.length - 1];
    const N = out.data.length / C;
    const last = this.layers[this.layers.length - 1];
    const pred = loss.onLogits ? (last as Dense).logits : (out.data as Float32Array);
    let d: Float32Array | null = this.scratch.get('dLoss', N * C);
    const value = loss.compute(N, C, pred, t, w, d);
    const [right, counted] = this.metrics.length ? loss.accuracy(N, C, out.data as Float32Array, t) : [0, 0];
    const hasWeights = this.layers.map((l) => l.countParams() > 0);
    for (let i = this.layers.length - 1; i >= 0 && d; i--) {
      const need = hasWeights.slice(0, i).some(Boolean);
      const l = this.layers[i];
      d = i === this.layers.length - 1 && loss.onLogits ? await (l as Dense).backwardFromLogits(d, need) : await l.backward(d, need);
    }
    // Keras adds the weight penalties to the training loss it reports.
    let penalty = 0;
    for (const l of this.layers) penalty += l.regularize();
    return [value + penalty, right, counted];
  }

  private async update(): Promise<void> {
    const ws = this.layers.flatMap((l) => l.weights);
    await (this.#optimizer as Optimizer).apply(ws.map((w) => w.value), ws.map((w) => w.grad));
    for (const l of this.layers) l.weightsChanged();
    this.steps += 1;
  }

  private sampleWeights(d: Data, classWeight: FitOptions['classWeight'], fn: string): Float32Array | null {
    if (classWeight === undefined || classWeight === null) return null;
    if (typeof classWeight !== 'object') throw new TypeError(`${fn}: classWeight must be an object or an array`);
    const loss = this.loss as Loss;
    const C = this.outputShapeFor(d.flow.shape[1]).at(-1) as number;
    const rows = (d.targets as Float32Array).length / loss.targetWidth(C);
    if (rows !== d.n) throw new RangeError(`${fn}: classWeight needs one output row per sample (no sequence outputs)`);
    const w = new Float32Array(d.n);
    for (let i = 0; i < d.n; i++) {
      const v = (classWeight as Record<number, number>)[loss.rowClass(d.targets as Float32Array, i, C)] ?? 1;
      if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${fn}: classWeight values must be finite and >= 0, got ${v}`);
      w[i] = v;
    }
    return w;
  }

  /** One gradient step on a batch (Keras train_on_batch); returns the batch loss before the update. */
  async trainOnBatch(x: ModelInput, y: Targets): Promise<number> {
    const d = this.data(x, y, 'trainOnBatch');
    return this.exclusive(async () => {
      const [loss] = await this.gradients(this.batchOf(d, allRows(d.n)), d.targets as Float32Array, null, this.seed);
      await this.update();
      return loss;
    });
  }

  /**
   * The loss of a batch in training mode and its gradient w.r.t. every weight (getWeights() order),
   * without updating anything: for custom training loops and gradient checks.
   */
  async lossAndGradients(x: ModelInput, y: Targets): Promise<{ loss: number; grads: Float32Array[] }> {
    const d = this.data(x, y, 'lossAndGradients');
    return this.exclusive(async () => {
      const [loss] = await this.gradients(this.batchOf(d, allRows(d.n)), d.targets as Float32Array, null, this.seed);
      return { loss, grads: this.layers.flatMap((l) => l.weights.map((w) => w.grad.slice())) };
    });
  }

  async fit(x: ModelInput, y: Targets, opts: FitOptions = {}): Promise<History> {
    const fn = 'fit';
    if (typeof opts !== 'object' || opts === null) throw new TypeError('fit: options must be an object');
    this.compiled(fn);
    const epochs = intOption(fn, 'epochs', opts.epochs, 1, 1);
    const batchSize = intOption(fn, 'batchSize', opts.batchSize, 32, 1);
    const seed = intOption(fn, 'seed', opts.seed, this.seed, 0);
    const split = opts.validationSplit ?? 0;
    if (typeof split !== 'number') throw new TypeError(`fit: validationSplit must be a number, got ${typeof split}`);
    if (!(split >= 0 && split < 1)) throw new RangeError(`fit: validationSplit must be in [0, 1), got ${split}`);
    const shuffle = opts.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new TypeError('fit: shuffle must be a boolean');
    const callbacks = opts.callbacks ?? [];
    if (!Array.isArray(callbacks)) throw new TypeError('fit: callbacks must be an array');
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('fit: signal must be an AbortSignal');
    const all = this.data(x, y, fn);
    let train = all;
    let val: Data | null = null;
    if (opts.validationData !== undefined) {
      if (!Array.isArray(opts.validationData) || opts.validationData.length !== 2) {
        throw new TypeError('fit: validationData must be [x, y]');
      }
      val = this.data(opts.validationData[0], opts.validationData[1], fn, 'validationData[0]', 'validationData[1]');
    } else if (split > 0) {
      // Keras: the last rows, before any shuffling.
      const at = Math.floor(all.n * (1 - split));
      if (at < 1 || at >= all.n) throw new RangeError(`fit: validationSplit ${split} leaves an empty training or validation set of ${all.n} rows`);
      const tw = (all.targets as Float32Array).length / all.n;
      const part = (a: number, b: number): Data => ({
        n: b - a,
        flow: {
          data: all.flow.data.subarray(a * (all.flow.data.length / all.n), b * (all.flow.data.length / all.n)),
          shape: [b - a, ...all.flow.shape.slice(1)],
          lengths: all.flow.lengths ? all.flow.lengths.subarray(a, b) : null,
        },
        targets: (all.targets as Float32Array).subarray(a * tw, b * tw),
      });
      train = part(0, at);
      val = part(at, all.n);
    }
    const weights = this.sampleWeights(train, opts.classWeight, fn);
    const tw = (train.targets as Float32Array).length / train.n;
    const history: History = { epochs: [], aborted: false, stoppedEarly: false };
    this.stopTraining = false;
    // Every batch of every epoch is copied into, and computed in, memory grown here once.
    const batches = new Buffers();
    await this.exclusive(async () => {
      this.reserve(train, batchSize, true, batches);
      if (val) this.reserve(val, batchSize, false, batches);
    });
    for (const c of callbacks) await c.onTrainBegin?.(this);
    const order = Int32Array.from({ length: train.n }, (_, i) => i);
    const u = new Float32Array(train.n);
    let batchIndex = 0;
    try {
      for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
        const start = performance.now();
        if (shuffle) {
          // Fisher-Yates on the shared Philox generator: the order depends only on (seed, epoch).
          randomUniform(u, seed, 2 ** 40 + epoch);
          for (let i = train.n - 1; i > 0; i--) {
            const j = Math.min(i, Math.floor(u[i] * (i + 1)));
            const tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
          }
        }
        let lossSum = 0, right = 0, counted = 0;
        for (let b0 = 0; b0 < train.n; b0 += batchSize) {
          if (signal?.aborted) break;
          const rows = order.subarray(b0, Math.min(train.n, b0 + batchSize));
          const xb = this.batchOf(train, rows, batches);
          const tb = rowsOf(train.targets as Float32Array, rows, tw, batches, 'y');
          const wb = weights ? (rowsOf(weights, rows, 1, batches, 'w') as Float32Array) : null;
          const [l, r, c] = await this.exclusive(async () => {
            const res = await this.gradients(xb, tb, wb, seed);
            await this.update();
            return res;
          });
          lossSum += l * rows.length;
          right += r;
          counted += c;
          for (const cb of callbacks) await cb.onBatchEnd?.(batchIndex, { loss: l, size: rows.length }, this);
          batchIndex += 1;
          // Let timers and I/O (an abort, a progress display) run even when every kernel was synchronous.
          await nextTurn();
        }
        if (signal?.aborted) {
          history.aborted = true;
          break;
        }
        const logs: EpochLogs = { loss: lossSum / train.n, metrics: {}, seconds: 0 };
        for (const m of this.metrics) logs.metrics[m] = right / Math.max(counted, 1);
        if (val) {
          const v = await this.evaluateData(val, batchSize, batches);
          logs.valLoss = v.loss;
          logs.valMetrics = v.metrics;
        }
        logs.seconds = (performance.now() - start) / 1000;
        history.epochs.push(logs);
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, this);
        if (opts.verbose) console.log(this.describe(epoch, epochs, logs));
        if (this.stopTraining) history.stoppedEarly = true;
      }
    } finally {
      for (const c of callbacks) await c.onTrainEnd?.(this);
    }
    return history;
  }

  private describe(epoch: number, epochs: number, l: EpochLogs): string {
    const parts = [`Epoch ${epoch + 1}/${epochs}`, `${l.seconds.toFixed(1)}s`, `loss: ${l.loss.toFixed(4)}`];
    for (const [k, v] of Object.entries(l.metrics)) parts.push(`${k}: ${v.toFixed(4)}`);
    if (l.valLoss !== undefined) parts.push(`val_loss: ${l.valLoss.toFixed(4)}`);
    for (const [k, v] of Object.entries(l.valMetrics ?? {})) parts.push(`val_${k}: ${v.toFixed(4)}`);
    return parts.join(' - ');
  }

  /** Loss and metrics of d in inference mode; batches are copied into `into` when given (fit's validation). */
  private async evaluateData(d: Data, batchSize: number, into?: Buffers): Promise<EvaluateResult> {
    const loss = this.loss as Loss;
    return this.exclusive(async () => {
      let sum = 0, right = 0, counted = 0;
      const tw = (d.targets as Float32Array).length / d.n;
      const last = this.layers[this.layers.length - 1];
      for (let b0 = 0; b0 < d.n; b0 += batchSize) {
        const rows = Int32Array.from({ length: Math.min(batchSize, d.n - b0) }, (_, i) => b0 + i);
        const out = await this.forward(this.batchOf(d, rows, into), false, this.seed);
        const t = rowsOf(d.targets as Float32Array, rows, tw, into, 'y');
        const C = out.shape[out.shape.length - 1];
        const N = out.data.length / C;
        const pred = loss.onLogits ? (last as Dense).logits : (out.data as Float32Array);
        sum += loss.compute(N, C, pred, t, null, null) * rows.length;
        const [r, c] = loss.accuracy(N, C, out.data as Float32Array, t);
        right += r;
        counted += c;
      }
      const metrics: Record<string, number> = {};
      for (const m of this.metrics) metrics[m] = right / Math.max(counted, 1);
      return { loss: sum / d.n, metrics };
    });
  }

  /** Loss and metrics over (x, y) in inference mode (dropout off), in batches. */
  async evaluate(x: ModelInput, y: Targets, opts: { batchSize?: number } = {}): Promise<EvaluateResult> {
    const batchSize = intOption('evaluate', 'batchSize', opts?.batchSize, 32, 1);
    return this.evaluateData(this.data(x, y, 'evaluate'), batchSize);
  }

  /** The model's outputs [n, ...output shape] in inference mode (probabilities after sigmoid/softmax). */
  async predict(x: ModelInput, opts: { batchSize?: number } = {}): Promise<Tensor<Float32Array>> {
    const batchSize = intOption('predict', 'batchSize', opts?.batchSize, 32, 1);
    const d = this.data(x, null, 'predict');
    return this.exclusive(async () => {
      let result: Float32Array | null = null;
      let shape: number[] = [];
      for (let b0 = 0; b0 < d.n; b0 += batchSize) {
        const rows = Int32Array.from({ length: Math.min(batchSize, d.n - b0) }, (_, i) => b0 + i);
        const out = await this.forward(this.batchOf(d, rows), false, this.seed);
        const row = out.data.length / rows.length;
        if (!result) {
          result = new Float32Array(d.n * row);
          shape = [d.n, ...out.shape.slice(1)];
        }
        result.set(out.data as Float32Array, b0 * row);
      }
      return { data: result as Float32Array, shape };
    });
  }

  /**
   * Scores a stream of raw texts far larger than memory: a file path or a Readable of CSV, JSON
   * lines or text lines (gzip recognised), through `options.preprocessing` (the tokenizer and
   * padding Sequential.load returns) and predict, a batch at a time. Yields ScoredBatch objects
   * in input order; memory stays flat whatever the input's size (models/stream/pipeline.ts).
   * A malformed row stops the iteration with a DataFormatError naming its line, or is skipped
   * (`onError: 'skip'`, reported to `onSkip`).
   */
  scoreStream(input: StreamInput, options: TextStreamOptions): AsyncGenerator<ScoredBatch> {
    return streamScores('scoreStream', input, textModel('scoreStream', this, options), options);
  }

  /**
   * Saves the model to one file at `path` (format: models/serialize.ts): architecture, input
   * shape, compile settings, weights and, optionally, the preprocessing that turns raw strings into
   * its input. The write is atomic (temporary file, fsync, rename): on failure any existing file
   * is untouched and a ModelFileError naming the path is thrown. Optimizer state is not saved.
   */
  async save(path: string, opts: SaveOptions = {}): Promise<void> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('save: path must be a non-empty string');
    if (typeof opts !== 'object' || opts === null) throw new TypeError('save: options must be an object');
    if (!this.built) {
      try {
        this.build();
      } catch {
        throw new TypeError('save: the model is not built yet: call build(inputShape) or fit() first');
      }
    }
    const preprocessing = preprocessingToJSON(opts.preprocessing);
    const compile = this.getCompileConfig();
    // Encoded behind any running fit() step, so the weights are one consistent snapshot.
    const bytes = await this.whenIdle(() => encodeSequential(
      this.getConfig(),
      compile,
      this.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, shape: w.shape, value: w.value }))),
      preprocessing,
    ));
    await writeFileAtomic(path, bytes);
  }

  /** The architecture as model files store it (Keras' get_config): name, seed, input shape, layers. The model must be built. */
  getConfig(): SequentialJSON {
    if (!this.inputShape) throw new TypeError('getConfig: the model is not built yet: call build(inputShape) or fit() first');
    return {
      name: this.name, seed: this.seed, inputShape: [...this.inputShape],
      layers: this.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
    };
  }

  /** The compile settings as model files store them; null when the model is not compiled. */
  getCompileConfig(): CompileJSON | null {
    return this.loss && this.#optimizer
      ? {
        loss: { name: this.loss.name, fromLogits: this.loss.outputsAreLogits },
        optimizer: describeOptimizer(this.#optimizer),
        metrics: [...this.metrics],
      }
      : null;
  }

  /**
   * Runs `fn` once no call (a fit step, predict, save) is using the layers, so the weights it reads
   * are one consistent snapshot (save and exportOnnx read them through here).
   */
  whenIdle<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.exclusive(async () => fn());
  }

  /**
   * Loads a model saved by save(): resolves to `{ model, preprocessing }` (preprocessing null when
   * none was saved). The model is built, holds the saved weights and is compiled as saved with a
   * fresh optimizer state (uncompiled if it was saved uncompiled or with a custom optimizer
   * object). Any problem with the file rejects with a ModelFileError saying what is wrong.
   */
  static async load(path: string): Promise<LoadedModel> {
    return loadSequential(Sequential, path);
  }
}
