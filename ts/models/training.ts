// What every trainable model shares, whatever the shape of its graph: compile, the one training
// loop (batching, shuffling, validation, class weights, callbacks, early stopping, AbortSignal,
// buffer reservation), evaluate, predict, trainOnBatch and weight access. A model class (Sequential,
// the functional Model) supplies only what depends on its graph: turning inputs into flows, cutting
// a batch, the forward and backward passes, and the capacity hints (the hooks at the end of the
// class). Every call is async; kernels that take more than about a millisecond run through their
// Async form, so training leaves the event loop free.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { adviseHugePages } from '../bindings/backend.ts';
import { checkDevice, logDeviceOnce, resolveDevice } from '../bindings/device.ts';
import type { Device } from '../bindings/device.ts';
import { randomUniform } from '../bindings/random.ts';
import { firstOutsideI32 } from '../bindings/scan.ts';
import { DeviceSession, sessionBatch, sessionEmulated, sessionSpec } from './device_session.ts';
import type { Callback, CallbackModel, EpochLogs } from './callbacks.ts';
import { Loss } from './losses.ts';
import type { LossSpec } from './losses.ts';
import { knownOptions, optionNames } from './options.ts';
import { getOptimizer } from './optimizers.ts';
import type { Optimizer, OptimizerSpec } from './optimizers.ts';
import { Dense } from './layers/dense.ts';
import type { Embedding } from './layers/embedding.ts';
import { Buffers } from './layers/layer.ts';
import type { Flow, Layer } from './layers/layer.ts';
import { describeOptimizer } from './serialize.ts';
import type { CompileJSON } from './serialize.ts';
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

/** fit's options; X is the model's input (one ModelInput for a Sequential, an array of them for a Model with several inputs). */
export interface FitOptions<X = ModelInput> {
  epochs?: number;
  batchSize?: number;
  /** Fraction of the rows held out for validation: the LAST rows, taken before shuffling (Keras). */
  validationSplit?: number;
  validationData?: [X, Targets];
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

export interface PredictOptions {
  /** Rows per forward pass (default 32). */
  batchSize?: number;
  /**
   * Where to write the output: a Float32Array of exactly n × (values per output row) that shares
   * no memory with the input. predict resolves to a tensor over this array. Reusing one array from
   * call to call saves allocating (and, for outputs of tens of MB, faulting in) a fresh one each time;
   * overlapping predicts into the same array run in call order, the last one's values remain.
   * The kernels read x and write out in place on worker threads: until the promise settles, do not
   * modify x or out, and do not transfer or detach their buffers (postMessage, ArrayBuffer.transfer).
   */
  out?: Float32Array;
}

const COMPILE_OPTIONS = optionNames<CompileOptions>()(['loss', 'optimizer', 'metrics']);
const FIT_OPTIONS = optionNames<FitOptions>()([
  'epochs', 'batchSize', 'validationSplit', 'validationData', 'shuffle', 'seed', 'classWeight', 'callbacks', 'signal', 'verbose',
]);
const PREDICT_OPTIONS = optionNames<PredictOptions>()(['batchSize', 'out']);

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

/** A data set as the training loop sees it: one flow per model input, all of n rows. */
export interface Data {
  flows: Flow[];
  n: number;
  /** Targets as the loss wants them, rows of `tw` values. */
  targets: Float32Array | Int32Array | null;
}

const METRICS: Record<string, string> = { accuracy: 'accuracy', acc: 'accuracy' };

export function intOption(fn: string, name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Rows of t (each `width` values) gathered into a new array, or into `into`'s buffer `name` when given. */
export function rowsOf(t: Float32Array | Int32Array, rows: ArrayLike<number>, width: number, into?: Buffers, name = ''): Float32Array | Int32Array {
  // Consecutive rows without a buffer to copy into (predict, evaluate, trainOnBatch): a view of the
  // caller's array, which layers only read. Copying predict's 16.7 MB TCN batch cost 1.5-6 ms a call.
  if (!into && consecutive(rows)) {
    const r0 = rows.length > 0 ? rows[0] : 0;
    return t.subarray(r0 * width, (r0 + rows.length) * width);
  }
  const n = rows.length * width;
  const out = into ? (t instanceof Int32Array ? into.getInt(name, n) : into.get(name, n))
    : new (t.constructor as new (n: number) => Float32Array | Int32Array)(n);
  for (let i = 0; i < rows.length; i++) out.set(t.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
  return out;
}

function consecutive(rows: ArrayLike<number>): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i] !== rows[0] + i) return false;
  return true;
}

/** Whether two typed arrays share any byte of memory. */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * A fresh output array; one of 32 MiB or more asks for huge pages first (adviseHugePages: ~8x
 * cheaper to fault in here). From 32 MiB (glibc's largest mmap threshold) the array always has
 * its own mapping, so the advice ends with it; a smaller one may sit in the malloc heap, whose
 * calloc has already touched its pages and whose ranges outlive the array.
 */
export function outputArray(n: number): Float32Array {
  const a = new Float32Array(n);
  if (a.byteLength >= 32 << 20) adviseHugePages(a);
  return a;
}

/** The longest of `lengths`, at least 1: the steps a batch keeps when cut to its longest sequence. */
export function longest(lengths: Int32Array): number {
  let keep = 1;
  for (const l of lengths) keep = Math.max(keep, l);
  return keep;
}

/** Valid steps of each row of 'pre'-padded token ids [n, T]: Keras' mask_zero, the steps after the leading zeros. */
export function lengthsFromLeadingZeros(ids: Int32Array | Float32Array, n: number, T: number): Int32Array {
  const lens = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    let lead = 0;
    while (lead < T && ids[b * T + lead] === 0) lead++;
    lens[b] = T - lead;
  }
  return lens;
}

export const allRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** One input checked and converted: its tensor's shape, data (Int32 ids for an Embedding, else Float32) and lengths. */
export interface CheckedInput {
  shape: number[];
  data: Float32Array | Int32Array;
  lengths: Int32Array | null;
}

/**
 * Checks one model input (a tensor or { tokens, lengths }) and converts its values: token ids for
 * `embedding` (the Embedding that reads it, null for none), float32 otherwise. Named `argX` in errors.
 */
export function checkInput(x: unknown, fn: string, argX: string, embedding: Embedding | null): CheckedInput {
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
  let data: Float32Array | Int32Array = t.data;
  if (embedding) {
    if (t.shape.length !== 2) throw new RangeError(`${fn}: ${argX} must be token ids [n, time], got [${t.shape.join(', ')}]`);
    const outside = (v: number, i: number) =>
      new RangeError(`${fn}: ${argX} token ids must be in [0, ${embedding.inputDim - 1}] (Embedding inputDim), got ${v} at index ${i}`);
    if (data instanceof Float32Array) {
      // Float ids are checked one by one on the way into the Int32Array, before it would wrap
      // them (2^32 + 1 would read as 1): the native scan below is for ids given as Int32Array.
      const ids = new Int32Array(data.length);
      for (let i = 0; i < data.length; i++) {
        if (!Number.isInteger(data[i])) throw new TypeError(`${fn}: ${argX} token ids must be integers, got ${data[i]} at index ${i}`);
        if (data[i] < 0 || data[i] >= embedding.inputDim) throw outside(data[i], i);
        ids[i] = data[i];
      }
      data = ids;
    } else {
      const i = firstOutsideI32(data, 0, embedding.inputDim - 1);
      if (i >= 0) throw outside(data[i], i);
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
    if (t.shape.length < 3 && !embedding) {
      throw new RangeError(`${fn}: ${argX}.lengths needs sequences [n, time, ...]`);
    }
  }
  return { shape: [...t.shape], data, lengths };
}

/**
 * Base of the trainable models. X is what fit/evaluate/predict take as x. Calls share the layers'
 * buffers and weights: overlapping ones run one after another, in order (exclusive()).
 */
export abstract class TrainableModel<X> implements CallbackModel {
  readonly name: string;
  readonly seed: number;
  /** Every layer with weights, each once, in the order getWeights() lists their weights. */
  abstract readonly layers: Layer[];
  /** Set by a callback to end fit() after the current epoch. */
  stopTraining = false;
  protected loss: Loss | null = null;
  #optimizer: Optimizer | null = null;
  protected metrics: string[] = [];
  /** Optimizer steps taken: with the node index, the stream of dropout masks. */
  protected steps = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Per-step arrays of the model itself (the loss gradient), reused from step to step. */
  protected readonly scratch = new Buffers();
  #device: Device;
  #session: DeviceSession | null = null;

  /** `device`: already checked (checkDevice) by the model class, which names itself in the error. */
  constructor(name: string, seed: number, device: Device = 'cpu') {
    this.name = name;
    this.seed = seed;
    this.#device = device;
  }

  /**
   * Where fit / evaluate / predict run ('auto': the GPU session when CUDA is usable and the stack
   * supported). May be changed at any time, e.g. on a loaded model: the next call runs there. Leaving
   * the GPU brings the session's weights back first; its optimizer state is dropped, as a new
   * compile() would drop it.
   */
  get device(): Device {
    return this.#device;
  }
  set device(v: Device) {
    this.#device = checkDevice(this.name, v, this.#device);
  }

  // ---- What a model class supplies -------------------------------------------------------------

  /** Checks and converts x (and y, when not null) into n rows of data; builds the model from x when needed. */
  protected abstract data(x: X, y: Targets | null, fn: string, argX?: string, argY?: string): Data;
  /** Rows of d as a batch, one flow per input (copied into `into`'s buffers when given). */
  protected abstract batchOf(d: Data, rows: ArrayLike<number>, into?: Buffers): Flow[];
  /** Grows the layers' buffers and `batches` (batchOf's copies) for batches of d (Layer.reserve). */
  protected abstract reserve(d: Data, batchSize: number, training: boolean, batches: Buffers): void;
  /**
   * The model's output for a batch. `out` (inference only): an array of exactly the batch's output
   * size that the last layer may write into (Layer's CallContext.out); the returned flow's data is
   * then `out` itself, otherwise the caller copies.
   */
  protected abstract forward(x: Flow[], training: boolean, seed: number, out?: Float32Array): Promise<Flow>;
  /**
   * Values per output row of d in batches of `batchSize`, when known before running a batch (the
   * layers' reserve() hints give it, and grow their inference buffers once to the largest batch);
   * null otherwise: predict then learns it from the first batch.
   */
  protected outputRow(_d: Data, _batchSize: number): number | null {
    return null;
  }
  /**
   * Backward from the loss gradient d (w.r.t. the output, or w.r.t. the output layer's logits when
   * `fromLogits`) after a training forward: leaves every weight's gradient in its `grad`.
   */
  protected abstract backward(d: Float32Array, fromLogits: boolean): Promise<void>;
  /** The layer object that computed the last output (its Dense logits feed the from-logits losses). */
  protected abstract get outputLayer(): Layer;
  /** The width of the output's last axis for d (classWeight's class count). */
  protected abstract outputWidth(d: Data): number;

  /** Tells every layer object that the weights changed (after an optimizer step or setWeights). */
  protected weightsChanged(): void {
    for (const l of this.layers) l.weightsChanged();
    if (this.#session) this.#session.behind = true;
  }

  /**
   * The layers a device session may run (device_session.ts), in order; null when the model's graph
   * has no session (the functional Model). The model must be built.
   */
  protected sessionLayers(): Layer[] | null {
    return null;
  }

  /**
   * The device session for a call, with the layers' weights uploaded, or null for the CPU path:
   * the device resolves to 'cpu', or it is 'auto' and the stack is not supported (said once, in
   * one log line). Device 'cuda' with an unsupported stack is an Error naming the layer. A new
   * compile() (loss or optimizer) starts a new session, with a fresh optimizer state as on the CPU.
   * Runs inside exclusive().
   */
  private async deviceSession(fn: string): Promise<DeviceSession | null> {
    const layers = this.sessionLayers();
    if (!layers) return null;
    // Under the test-only host emulation, 'auto' and 'cuda' take the session path without a GPU.
    const device = this.device !== 'cpu' && sessionEmulated() ? 'cuda' : resolveDevice(fn, this.device);
    let s = this.#session;
    if (device === 'cpu') {
      if (s) {
        // The device was changed to the CPU since the last call. The session's optimizer state
        // stays behind, so the CPU optimizer starts afresh too (its own, from before, is stale).
        await this.dropSession(s, layers);
        this.#optimizer?.reset?.();
      }
      return null;
    }
    if (!s || s.loss !== this.loss || s.optimizer !== this.#optimizer) {
      if (s) await this.dropSession(s, layers);
      const spec = sessionSpec(layers, this.loss, this.#optimizer);
      if (typeof spec === 'string') {
        if (this.device === 'cuda') throw new Error(`${fn}: device 'cuda': the GPU session does not support ${spec} (use device 'cpu' or 'auto')`);
        // Once per process for each name and reason: a detector builds a fresh internal Sequential per fit.
        logDeviceOnce(`vigil: ${this.name} runs on the CPU: the GPU session does not support ${spec}`);
        return null;
      }
      // The session's optimizer state starts empty: steps the CPU optimizer took before (a model
      // moved to the GPU mid-training) must not count toward its bias corrections.
      this.#optimizer?.reset?.();
      s = this.#session = new DeviceSession(spec, this.loss, this.#optimizer);
    }
    await s.upload(layers);
    return s;
  }

  /**
   * Ends a session: its weights (ahead of the layers mid-fit) come back into them, and its device
   * memory (weights, gradients, optimizer state, caches) goes now, not at the next GC.
   */
  private async dropSession(s: DeviceSession, layers: Layer[]): Promise<void> {
    this.#session = null;
    await s.download(layers);
    await s.native.release();
  }

  /** After a session step: the session's weights back into the layers (epoch ends, fit's end, trainOnBatch). */
  private async syncFromSession(): Promise<void> {
    const layers = this.sessionLayers();
    if (this.#session && layers) await this.#session.download(layers);
  }

  /** One optimizer step on the session: the CPU optimizer's step count and learning rate, the model's step count. */
  private async sessionStep(s: DeviceSession, x: Flow[], t: Float32Array | Int32Array, w: Float32Array | null, seed: number): Promise<[number, number, number]> {
    const opt = this.#optimizer as Optimizer;
    const loss = this.loss as Loss;
    const N = x[0].shape[0], C = s.native.outputs;
    const out = this.metrics.length ? this.scratch.get('sessionOut', N * C) : null;
    const it = opt.iterations + 1;
    const value = await s.native.trainStep(sessionBatch(x[0], t), w, seed, this.steps, it, opt.learningRate, out);
    // The step the CPU optimizer would have counted: Adam's bias correction and callbacks read it.
    (opt as { iterations: number }).iterations = it;
    this.steps += 1;
    s.ahead = true;
    const [right, counted] = out ? loss.accuracy(N, C, out, t) : [0, 0];
    return [value, right, counted];
  }

  // ---- Shared --------------------------------------------------------------------------------

  /** The optimizer compile() made (null before compile()); its learningRate may be changed between steps. */
  get optimizer(): Optimizer | null {
    return this.#optimizer;
  }

  /** Sets the loss, optimizer and metrics; a new compile() starts a fresh optimizer state. */
  compile(opts: CompileOptions): void {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('compile: options must be an object');
    knownOptions('compile', opts, COMPILE_OPTIONS);
    const last = this.lastLayerForCompile();
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

  /** The layer whose activation the loss reads (undefined for a model without layers). */
  protected lastLayerForCompile(): Layer | undefined {
    return this.outputLayer;
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
    this.weightsChanged();
  }

  // Calls share the layers' buffers and weights: overlapping ones run one after another, in order.
  protected exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `fn` once no call (a fit step, predict, save) is using the layers, so the weights it reads
   * are one consistent snapshot (save and exportOnnx read them through here).
   */
  whenIdle<T>(fn: () => T | Promise<T>): Promise<T> {
    // Mid-fit on the device session the layers hold the last epoch's weights: bring the session's
    // current ones back first, so that a save or an export between batches sees what the CPU fit would.
    return this.exclusive(async () => {
      await this.syncFromSession();
      return fn();
    });
  }

  protected compiled(fn: string): Loss {
    if (!this.loss || !this.#optimizer) throw new TypeError(`${fn}: the model must be compiled first (call compile({ loss, optimizer }))`);
    return this.loss;
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
   * Checks y against n rows of output (`outShape`: one row's output shape, time axis resolved) and
   * converts it as the loss wants it.
   */
  protected targets(y: Targets, n: number, outShape: number[], fn: string, argX: string, argY: string): Float32Array | Int32Array {
    const loss = this.compiled(fn);
    const yData = ArrayBuffer.isView(y) ? (y as Float32Array | Int32Array) : Array.isArray(y) ? Float32Array.from(y as number[]) : (y as Tensor).data;
    if (!(yData instanceof Float32Array || yData instanceof Int32Array)) {
      throw new TypeError(`${fn}: ${argY} must be a tensor, a Float32Array, an Int32Array or an array of numbers`);
    }
    const yRows = !ArrayBuffer.isView(y) && !Array.isArray(y) ? (y as Tensor).shape[0] : null;
    if (yRows !== null && yRows !== n) throw new RangeError(`${fn}: ${argX} has ${n} rows but ${argY} has ${yRows}`);
    const outRow = sizeOf(outShape);
    const C = outShape.at(-1) as number;
    const perRow = (outRow / C) * loss.targetWidth(C);
    if (yData.length !== n * perRow) {
      throw new RangeError(`${fn}: ${argX} has ${n} rows but ${argY} has ${yData.length} values (${perRow} per row expected)`);
    }
    return loss.targets(yData, n * (outRow / C), C, fn);
  }

  /** Grows `batches`' target and sample-weight copies, and the loss gradient, for batches of `rows` rows. */
  protected reserveTargets(d: Data, rows: number, outRow: number, training: boolean, batches: Buffers): void {
    const tw = (d.targets as Float32Array | Int32Array).length / d.n;
    if (d.targets instanceof Int32Array) batches.reserveInt('y', rows * tw);
    else batches.reserve('y', rows * tw);
    if (training) batches.reserve('w', rows);
    // The loss gradient, one row of the output per sample (or per step with sequence outputs).
    this.scratch.reserve('dLoss', rows * outRow);
  }

  /** Forward, loss, backward (gradients left in the layers' weights); returns [loss, correct, counted]. */
  private async gradients(x: Flow[], t: Float32Array | Int32Array, w: Float32Array | null, seed: number): Promise<[number, number, number]> {
    const loss = this.loss as Loss;
    const out = await this.forward(x, true, seed);
    const C = out.shape[out.shape.length - 1];
    const N = out.data.length / C;
    const pred = loss.onLogits ? (this.outputLayer as Dense).logits : (out.data as Float32Array);
    const d = this.scratch.get('dLoss', N * C);
    const value = loss.compute(N, C, pred, t, w, d);
    const [right, counted] = this.metrics.length ? loss.accuracy(N, C, out.data as Float32Array, t) : [0, 0];
    await this.backward(d, loss.onLogits);
    // Keras adds the weight penalties to the training loss it reports.
    let penalty = 0;
    for (const l of this.layers) penalty += l.regularize();
    return [value + penalty, right, counted];
  }

  private async update(): Promise<void> {
    const ws = this.layers.flatMap((l) => l.weights);
    await (this.#optimizer as Optimizer).apply(ws.map((w) => w.value), ws.map((w) => w.grad));
    this.weightsChanged();
    this.steps += 1;
  }

  private sampleWeights(d: Data, classWeight: FitOptions<X>['classWeight'], fn: string): Float32Array | null {
    if (classWeight === undefined || classWeight === null) return null;
    if (typeof classWeight !== 'object') throw new TypeError(`${fn}: classWeight must be an object or an array`);
    const loss = this.loss as Loss;
    const C = this.outputWidth(d);
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
  async trainOnBatch(x: X, y: Targets): Promise<number> {
    const d = this.data(x, y, 'trainOnBatch');
    return this.exclusive(async () => {
      const s = await this.deviceSession('trainOnBatch');
      if (s) {
        const [loss] = await this.sessionStep(s, this.batchOf(d, allRows(d.n)), d.targets as Float32Array, null, this.seed);
        await this.syncFromSession();
        return loss;
      }
      const [loss] = await this.gradients(this.batchOf(d, allRows(d.n)), d.targets as Float32Array, null, this.seed);
      await this.update();
      return loss;
    });
  }

  /**
   * The loss of a batch in training mode and its gradient w.r.t. every weight (getWeights() order),
   * without updating anything: for custom training loops and gradient checks.
   */
  async lossAndGradients(x: X, y: Targets): Promise<{ loss: number; grads: Float32Array[] }> {
    const d = this.data(x, y, 'lossAndGradients');
    return this.exclusive(async () => {
      const [loss] = await this.gradients(this.batchOf(d, allRows(d.n)), d.targets as Float32Array, null, this.seed);
      return { loss, grads: this.layers.flatMap((l) => l.weights.map((w) => w.grad.slice())) };
    });
  }

  async fit(x: X, y: Targets, opts: FitOptions<X> = {}): Promise<History> {
    const fn = 'fit';
    if (typeof opts !== 'object' || opts === null) throw new TypeError('fit: options must be an object');
    knownOptions(fn, opts, FIT_OPTIONS);
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
        flows: all.flows.map((f) => ({
          data: f.data.subarray(a * (f.data.length / all.n), b * (f.data.length / all.n)),
          shape: [b - a, ...f.shape.slice(1)],
          lengths: f.lengths ? f.lengths.subarray(a, b) : null,
        })),
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
    const session = await this.exclusive(async () => {
      this.reserve(train, batchSize, true, batches);
      if (val) this.reserve(val, batchSize, false, batches);
      return this.deviceSession(fn);
    });
    for (const c of callbacks) await c.onTrainBegin?.(this);
    const order = Int32Array.from({ length: train.n }, (_, i) => i);
    const u = new Float32Array(train.n);
    let batchIndex = 0;
    let failed = false;
    try {
      for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
        for (const c of callbacks) await c.onEpochBegin?.(epoch, this);
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
            // On the device the weights stay there; the layers get them back at epoch ends. A
            // callback may have set device 'cpu' since: deviceSession then brings the session's
            // weights back and releases it, and the rest of the fit steps on the CPU.
            const s = session ? await this.deviceSession(fn) : null;
            if (s) return this.sessionStep(s, xb, tb, wb, seed);
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
        // Epoch-end callbacks (EarlyStopping's best weights, checkpoints) read the layers.
        if (session) await this.exclusive(() => this.syncFromSession());
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
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // The layers get the steps that ran, even after a failed one. A download that fails too (a
      // lost CUDA context fails every call) must neither hide the step's own error nor skip onTrainEnd.
      let syncError: unknown = null;
      if (session) await this.exclusive(() => this.syncFromSession()).catch((e: unknown) => { syncError = e; });
      for (const c of callbacks) await c.onTrainEnd?.(this);
      if (syncError !== null && !failed) throw syncError;
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
      const s = await this.deviceSession('evaluate');
      for (let b0 = 0; b0 < d.n; b0 += batchSize) {
        const rows = Int32Array.from({ length: Math.min(batchSize, d.n - b0) }, (_, i) => b0 + i);
        const xb = this.batchOf(d, rows, into);
        const t = rowsOf(d.targets as Float32Array, rows, tw, into, 'y');
        let value: number, outs: Float32Array, N: number, C: number;
        if (s) {
          N = rows.length;
          C = s.native.outputs;
          outs = this.scratch.get('sessionOut', N * C);
          value = await s.native.infer(sessionBatch(xb[0], t), outs);
        } else {
          const out = await this.forward(xb, false, this.seed);
          outs = out.data as Float32Array;
          C = out.shape[out.shape.length - 1];
          N = outs.length / C;
          value = loss.compute(N, C, loss.onLogits ? (this.outputLayer as Dense).logits : outs, t, null, null);
        }
        sum += value * rows.length;
        const [r, c] = loss.accuracy(N, C, outs, t);
        right += r;
        counted += c;
      }
      const metrics: Record<string, number> = {};
      for (const m of this.metrics) metrics[m] = right / Math.max(counted, 1);
      return { loss: sum / d.n, metrics };
    });
  }

  /** Loss and metrics over (x, y) in inference mode (dropout off), in batches. */
  async evaluate(x: X, y: Targets, opts: { batchSize?: number } = {}): Promise<EvaluateResult> {
    knownOptions('evaluate', opts, ['batchSize']);
    const batchSize = intOption('evaluate', 'batchSize', opts.batchSize, 32, 1);
    return this.evaluateData(this.data(x, y, 'evaluate'), batchSize);
  }

  /**
   * The model's outputs [n, ...output shape] in inference mode (probabilities after sigmoid/softmax),
   * in a fresh array or in `opts.out` (PredictOptions). Overlapping calls on one model run one after
   * another (they share the layers' buffers), each into its own output.
   */
  async predict(x: X, opts: PredictOptions = {}): Promise<Tensor<Float32Array>> {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('predict: options must be an object');
    knownOptions('predict', opts, PREDICT_OPTIONS);
    const batchSize = intOption('predict', 'batchSize', opts.batchSize, 32, 1);
    const given = opts.out;
    if (given !== undefined && !(given instanceof Float32Array)) {
      throw new TypeError(`predict: out must be a Float32Array, got ${given === null ? 'null' : (given as object)?.constructor?.name ?? typeof given}`);
    }
    const d = this.data(x, null, 'predict');
    if (given) {
      for (const [k, f] of d.flows.entries()) {
        const name = d.flows.length > 1 ? `x[${k}]` : 'x';
        if (overlaps(given, f.data)) throw new RangeError(`predict: out shares memory with ${name}`);
        if (f.lengths && overlaps(given, f.lengths)) throw new RangeError(`predict: out shares memory with ${name}'s lengths`);
      }
    }
    return this.exclusive(async () => {
      // Checked here, when the call runs: the caller may have transferred out's buffer meanwhile.
      const check = (row: number) => {
        if (!given) return;
        if (given.buffer.byteLength === 0 && d.n * row > 0) throw new TypeError('predict: out is backed by a detached (or empty) ArrayBuffer');
        if (given.length !== d.n * row) {
          throw new RangeError(`predict: out must have ${d.n * row} values (${d.n} rows of ${row}), got ${given.length}`);
        }
      };
      const s = await this.deviceSession('predict');
      if (s) {
        const row = s.native.outputs;
        check(row);
        const res = given ?? outputArray(d.n * row);
        for (let b0 = 0; b0 < d.n; b0 += batchSize) {
          const rows = Int32Array.from({ length: Math.min(batchSize, d.n - b0) }, (_, i) => b0 + i);
          await s.native.infer(sessionBatch(this.batchOf(d, rows)[0], null), res.subarray(b0 * row, (b0 + rows.length) * row));
        }
        return { data: res, shape: [d.n, row] };
      }
      const known = this.outputRow(d, batchSize);
      if (known !== null) check(known);
      let result: Float32Array | null = known === null ? null : given ?? outputArray(d.n * known);
      let shape: number[] = [];
      for (let b0 = 0; b0 < d.n; b0 += batchSize) {
        const rows = Int32Array.from({ length: Math.min(batchSize, d.n - b0) }, (_, i) => b0 + i);
        // The last layer writes this batch's rows of the result itself when it can.
        const target = result && known !== null ? result.subarray(b0 * known, (b0 + rows.length) * known) : undefined;
        const out = await this.forward(this.batchOf(d, rows), false, this.seed, target);
        const row = out.data.length / rows.length;
        if (known !== null && row !== known) throw new Error(`predict: a batch gave ${row} values per row, the layers' hints ${known}`);
        if (!result) {
          check(row);
          result = given ?? outputArray(d.n * row);
        }
        if (b0 === 0) shape = [d.n, ...out.shape.slice(1)];
        if (out.data !== target) result.set(out.data as Float32Array, b0 * row);
      }
      return { data: result as Float32Array, shape };
    });
  }
}

/**
 * Rows of one input's flow as a batch, copied into `into`'s buffers `xName`/`lName` when given.
 * With lengths ('pre' padding) and `trim`, the batch keeps only its last max(length) steps:
 * recurrent layers skip padded steps anyway, but their buffers and step loops scale with the time
 * axis, so a 1,024-step padding of 150-step sequences would still cost.
 */
export function batchRows(f: Flow, rows: ArrayLike<number>, trim: boolean, into?: Buffers, xName = 'x', lName = 'lengths'): Flow {
  const lengths = f.lengths ? (rowsOf(f.lengths, rows, 1, into, lName) as Int32Array) : null;
  const T = f.shape[1];
  const keep = lengths && trim ? longest(lengths) : T;
  const inner = f.shape.slice(2);
  const step = sizeOf(inner);
  if (keep === T) {
    return { data: rowsOf(f.data, rows, T * step, into, xName), shape: [rows.length, ...f.shape.slice(1)], lengths };
  }
  const n = rows.length * keep * step;
  const data = into ? (f.data instanceof Int32Array ? into.getInt(xName, n) : into.get(xName, n))
    : new (f.data.constructor as new (n: number) => Float32Array | Int32Array)(n);
  for (let i = 0; i < rows.length; i++) {
    const from = (rows[i] * T + T - keep) * step;
    data.set(f.data.subarray(from, from + keep * step), i * keep * step);
  }
  return { data, shape: [rows.length, keep, ...inner], lengths };
}

/** Grows `batches`' copies of one input (batchRows) for batches of `rows` rows; returns the largest batch's shape. */
export function reserveRows(f: Flow, rows: number, trim: boolean, batches: Buffers, xName = 'x', lName = 'lengths'): number[] {
  const shape = [rows, ...f.shape.slice(1)];
  if (f.lengths) {
    batches.reserveInt(lName, rows);
    if (trim) shape[1] = longest(f.lengths);
  }
  const n = sizeOf(shape);
  if (f.data instanceof Int32Array) batches.reserveInt(xName, n);
  else batches.reserve(xName, n);
  return shape;
}
