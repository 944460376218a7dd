// Keras' Sequential model: a stack of layers trained with compile() + fit(), scored with
// evaluate() and predict(). The training loop and everything else a model shares with the
// functional Model lives in training.ts; this file says how a stack turns inputs into batches and
// runs them forward and backward.
import { checkDevice } from '../bindings/device.ts';
import type { Device } from '../bindings/device.ts';
import type { Buffers } from './layers/layer.ts';
import { Dense } from './layers/dense.ts';
import { Embedding } from './layers/embedding.ts';
import { Layer } from './layers/layer.ts';
import type { Flow, Shape } from './layers/layer.ts';
import { GlobalMaxPooling1D } from './layers/pooling.ts';
import { Recurrent } from './layers/recurrent.ts';
import { knownOptions, optionNames } from './options.ts';
import { encodeSequential, loadSequential, preprocessingToJSON, SAVE_OPTIONS, saveModelFile } from './serialize.ts';
import type { LoadedModel, SaveOptions, SequentialJSON } from './serialize.ts';
import { streamScores } from './stream/pipeline.ts';
import type { ScoredBatch } from './stream/pipeline.ts';
import { textModel } from './stream/models.ts';
import type { TextStreamOptions } from './stream/models.ts';
import type { StreamInput } from './stream/source.ts';
import { sizeOf } from './tensor.ts';
import { batchRows, checkInput, intOption, lengthsFromLeadingZeros, longest, reserveRows, TrainableModel } from './training.ts';
import type { Data, ModelInput, Targets } from './training.ts';

export type { CompileOptions, EvaluateResult, FitOptions, History, ModelInput, PredictOptions, Targets } from './training.ts';

export interface SequentialOptions {
  /** Seed of the weight initialisers, shuffling and dropout (default 0). */
  seed?: number;
  name?: string;
  /**
   * Where fit / evaluate / predict run (default 'auto'): 'cuda' trains and predicts in a
   * device-resident session (weights, optimizer state and activations stay on the GPU; supported
   * stacks: README "GPU"), an Error for a stack it does not support; 'auto' is 'cuda' when CUDA is
   * usable and the stack supported, the CPU otherwise (one log line says which); 'cpu' never uses it.
   */
  device?: Device;
}

const OPTIONS = optionNames<SequentialOptions>()(['seed', 'name', 'device']);

export function snake(name: string): string {
  return name === 'LSTM' ? 'lstm' : name.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/RNN/, 'rnn').toLowerCase();
}

export class Sequential extends TrainableModel<ModelInput> {
  readonly layers: Layer[] = [];
  private inputShape: Shape | null = null;
  private readonly names = new Map<string, number>();

  constructor(layers: Layer[] = [], opts: SequentialOptions = {}) {
    if (!Array.isArray(layers)) throw new TypeError('Sequential: layers must be an array of layers');
    if (typeof opts !== 'object' || opts === null) throw new TypeError('Sequential: options must be an object');
    knownOptions('Sequential', opts, OPTIONS);
    super(opts.name ?? 'sequential', intOption('Sequential', 'seed', opts.seed, 0, 0), checkDevice('Sequential', opts.device, 'auto'));
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

  get built(): boolean {
    return this.inputShape !== null;
  }

  private get first(): Layer {
    if (this.layers.length === 0) throw new TypeError('Sequential: the model has no layers');
    return this.layers[0];
  }

  protected override sessionLayers(): Layer[] {
    return this.layers;
  }

  protected get outputLayer(): Layer {
    return this.layers[this.layers.length - 1];
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

  /** Checks and converts x (and y) into a flow of n rows; builds the model from x when needed. */
  protected data(x: ModelInput, y: Targets | null, fn: string, argX = 'x', argY = 'y'): Data {
    const first = this.first;
    const { shape, data, lengths } = checkInput(x, fn, argX, first instanceof Embedding ? first : null);
    const n = shape[0];
    if (!this.built) {
      const inner: Shape = shape.slice(1);
      // Token models stay open in the time axis unless a Flatten needs it.
      if (first instanceof Embedding && !this.layers.some((l) => l.className === 'Flatten')) inner[0] = first.inputShape?.[0] ?? null;
      this.build(first.inputShape && !(first instanceof Embedding) ? undefined : inner);
    }
    const want = this.inputShape as Shape;
    const got = shape.slice(1);
    if (got.length !== want.length || got.some((d, i) => want[i] !== null && want[i] !== d)) {
      throw new RangeError(`${fn}: ${argX} rows must have shape [${want.map((d) => d ?? 'any').join(', ')}], got [${got.join(', ')}]`);
    }
    let lens = lengths;
    // Keras' mask_zero with 'pre' padding: the valid steps follow the leading zeros.
    if (!lens && first instanceof Embedding && first.maskZero) lens = lengthsFromLeadingZeros(data, n, shape[1]);
    const flow: Flow = { data, shape: [...shape], lengths: lens };
    if (y === null) return { flows: [flow], n, targets: null };
    return { flows: [flow], n, targets: this.targets(y, n, this.outputShapeFor(shape[1]), fn, argX, argY) };
  }

  protected outputWidth(d: Data): number {
    return this.outputShapeFor(d.flows[0].shape[1]).at(-1) as number;
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

  /** Rows of d as a batch (batchRows: cut to the longest sequence when the result cannot depend on the time axis). */
  protected batchOf(d: Data, rows: ArrayLike<number>, into?: Buffers): Flow[] {
    return [batchRows(d.flows[0], rows, this.trimmable, into)];
  }

  /**
   * Grows every layer's buffers (Layer.reserve) and `batches` (fit's copies of a batch) once to the
   * largest batch of d in batches of `batchSize`: its rows, and its longest sequence when batches
   * are cut to it (batchOf). Sequences of varying lengths (and the short last batch) then reuse the
   * same memory instead of reallocating, and touching fresh pages, whenever a batch is the longest yet.
   */
  protected reserve(d: Data, batchSize: number, training: boolean, batches: Buffers): void {
    const rows = Math.min(batchSize, d.n);
    const shape = reserveRows(d.flows[0], rows, this.trimmable, batches);
    this.reserveTargets(d, rows, sizeOf(this.outputShapeFor(shape[1])), training, batches);
    const hasWeights = this.layers.map((l) => l.countParams() > 0);
    let s: number[] | null = shape;
    for (let i = 0; i < this.layers.length && s; i++) {
      s = this.layers[i].reserve(s, { training, inputGrad: hasWeights.slice(0, i).some(Boolean) });
    }
  }

  protected override outputRow(d: Data, batchSize: number): number | null {
    // The largest batch's shape through every layer's hint, as reserve() walks it for fit.
    const f = d.flows[0];
    let s: number[] | null = [Math.min(batchSize, d.n), ...f.shape.slice(1)];
    if (f.lengths && this.trimmable) s[1] = longest(f.lengths);
    for (let i = 0; i < this.layers.length && s; i++) s = this.layers[i].reserve(s, { training: false, inputGrad: false });
    return s && sizeOf(s.slice(1));
  }

  protected async forward(x: Flow[], training: boolean, seed: number, out?: Float32Array): Promise<Flow> {
    let f = x[0];
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const last = i === this.layers.length - 1;
      const ctx = { training, seed, stream: this.steps * 1024 + i, ...(last && out && !training ? { out } : {}) };
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

  protected async backward(dLoss: Float32Array, fromLogits: boolean): Promise<void> {
    let d: Float32Array | null = dLoss;
    const hasWeights = this.layers.map((l) => l.countParams() > 0);
    for (let i = this.layers.length - 1; i >= 0 && d; i--) {
      const need = hasWeights.slice(0, i).some(Boolean);
      const l = this.layers[i];
      d = i === this.layers.length - 1 && fromLogits ? await (l as Dense).backwardFromLogits(d, need) : await l.backward(d, need);
    }
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
    knownOptions('save', opts, SAVE_OPTIONS);
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
    await saveModelFile(path, bytes);
  }

  /** The architecture as model files store it (Keras' get_config): name, seed, input shape, layers. The model must be built. */
  getConfig(): SequentialJSON {
    if (!this.inputShape) throw new TypeError('getConfig: the model is not built yet: call build(inputShape) or fit() first');
    return {
      name: this.name, seed: this.seed, inputShape: [...this.inputShape],
      layers: this.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
    };
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
