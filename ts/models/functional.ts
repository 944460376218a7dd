// Keras' functional Model: layers wired by Input() and layer.apply(x) into a graph with several
// inputs and shared layers (the Siamese LSTM: one Embedding + LSTM encoder applied to two
// questions, a Dot of the two codes, Dense(1, sigmoid)). Training, evaluation and prediction are
// training.ts' (the same loop as Sequential); this file walks the graph.
//
// Shared layers and per-application state. A layer keeps what its backward needs (its input, the
// LSTM cache, its output buffers) in the layer object, for its last forward: a layer applied twice
// would overwrite the first application's state with the second's. Rather than change every layer
// to index its state by application, each application after the first runs on its own layer object
// (a "replica": the same class and config, from the layer registry) whose weight() hands out the
// first object's arrays (Layer.sharesWeightsOf). Values are therefore shared, and optimizer steps,
// setWeights and load reach every application; each replica has its own grads, which the Model adds
// into the first object's after the backward (Keras: the gradients of all uses are summed). The
// Layer contract is unchanged, and a layer that makes its weights some other way (wrappers holding
// inner layers) is refused as a shared layer with an error saying so.
import { Dense } from './layers/dense.ts';
import { Embedding } from './layers/embedding.ts';
import { Buffers, Layer } from './layers/layer.ts';
import type { Flow, Shape } from './layers/layer.ts';
import { MergeLayer } from './layers/merge.ts';
import { Recurrent } from './layers/recurrent.ts';
import { layerFromConfig } from './layers/registry.ts';
import { Input, SymbolicTensor } from './layers/symbolic.ts';
import type { InputDtype } from './layers/symbolic.ts';
import { knownOptions, optionNames } from './options.ts';
import { encodeModelFile, layerModelFile, layersFromFile, preprocessingToJSON, readModelFile, restoreSaved, SAVE_OPTIONS, saveModelFile } from './serialize.ts';
import type { FunctionalJSON, Preprocessing, SaveOptions } from './serialize.ts';
import { snake } from './sequential.ts';
import { sizeOf } from './tensor.ts';
import { batchRows, checkInput, intOption, lengthsFromLeadingZeros, reserveRows, TrainableModel } from './training.ts';
import type { Data, ModelInput, Targets } from './training.ts';

export interface ModelOptions {
  /** The model's inputs, each made by Input(); fit/evaluate/predict take one array per input, in this order. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The one output (a layer's apply() result). */
  outputs: SymbolicTensor | [SymbolicTensor];
  /** Seed of the weight initialisers, shuffling and dropout (default 0). */
  seed?: number;
  name?: string;
}

const OPTIONS = optionNames<ModelOptions>()(['inputs', 'outputs', 'seed', 'name']);

/** Model inputs: one per Input, in the order of `inputs` (a single one may be passed bare). */
export type FunctionalInput = ModelInput | ModelInput[];

/** One application of a layer, as the model runs it. */
interface GraphNode {
  /** The layer object this application runs on (the layer itself, or a replica sharing its weights). */
  layer: Layer;
  /** The layer as the user made it (the owner of the weights). */
  owner: Layer;
  /** Value slots read: 0..inputs-1 are the model inputs, inputs + i is node i's output. */
  reads: number[];
  outShape: Shape;
  /** Per read: whether a layer with weights lies upstream (backward must return that input's gradient). */
  need: boolean[];
}

export class Model extends TrainableModel<FunctionalInput> {
  readonly layers: Layer[] = [];
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  private readonly nodes: GraphNode[] = [];
  private readonly inputShapes: Shape[];
  private readonly dtypes: InputDtype[];
  /** Per input: the Embeddings reading it (token inputs only). */
  private readonly readers: Layer[][];
  /** Per input: whether batches may drop leading all-padding steps (as Sequential's trimmable). */
  private readonly trim: boolean[];
  /** Gradients summed where a value feeds several layers. */
  private readonly sums = new Buffers();

  constructor(opts: ModelOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('Model: options must be an object { inputs, outputs }');
    knownOptions('Model', opts, OPTIONS);
    super(opts.name ?? 'model', intOption('Model', 'seed', opts.seed, 0, 0));
    const inputs = Array.isArray(opts.inputs) ? [...opts.inputs] : [opts.inputs];
    if (inputs.length === 0) throw new TypeError('Model: inputs must hold at least one Input()');
    inputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor) || !t.input) throw new TypeError(`Model: inputs[${i}] must be made by Input()`);
      if (inputs.indexOf(t) !== i) throw new TypeError(`Model: inputs[${i}] is listed twice`);
    });
    const outs = Array.isArray(opts.outputs) ? [...opts.outputs] : [opts.outputs];
    if (outs.length !== 1) throw new TypeError(`Model: exactly one output is supported, got ${outs.length}`);
    const output = outs[0];
    if (!(output instanceof SymbolicTensor)) throw new TypeError('Model: outputs must be the result of a layer\'s apply()');
    if (!output.node) throw new TypeError('Model: the output must be a layer\'s output, not an Input');
    this.inputs = inputs;
    this.outputs = [output];
    this.inputShapes = inputs.map((t) => [...(t.input as { shape: Shape }).shape]);
    this.dtypes = inputs.map((t) => (t.input as { dtype: InputDtype }).dtype);

    // Topological order of the layer applications (depth first from the output, inputs first).
    const slot = new Map<SymbolicTensor, number>(inputs.map((t, i) => [t, i]));
    const order: SymbolicTensor[] = [];
    const visit = (t: SymbolicTensor) => {
      if (slot.has(t)) return;
      if (!t.node) throw new TypeError(`Model: the output depends on ${t.label}, which is not in inputs (list every Input the output needs)`);
      for (const s of t.node.inputs) visit(s);
      slot.set(t, inputs.length + order.length);
      order.push(t);
    };
    visit(output);
    const used = new Set(order.flatMap((t) => (t.node as NonNullable<typeof t.node>).inputs));
    inputs.forEach((t, i) => {
      if (!used.has(t)) throw new TypeError(`Model: inputs[${i}] (${t.label}) is not connected to the output`);
    });

    // Layers, each once, in order of first use; named as Sequential names them.
    const names = new Map<string, number>();
    for (const t of order) {
      const l = (t.node as NonNullable<typeof t.node>).layer;
      if (this.layers.includes(l)) continue;
      // Building again would give the layer fresh arrays behind the back of the model that built it.
      if (l.isBuilt) throw new TypeError(`Model: layer ${l.name || l.className} is already built (in another model): a Model needs new layers`);
      const base = snake(l.className);
      const k = names.get(base) ?? 0;
      names.set(base, k + 1);
      l.name = k === 0 ? base : `${base}_${k}`;
      this.layers.push(l);
    }
    const consumers = (s: number) => order.filter((t) => (t.node as NonNullable<typeof t.node>).inputs.some((x) => slot.get(x) === s));
    const shapes: Shape[] = [...this.inputShapes];
    const weighted: boolean[] = inputs.map(() => false);
    const seen = new Set<Layer>();
    for (const t of order) {
      const node = t.node as NonNullable<typeof t.node>;
      const owner = node.layer;
      const reads = node.inputs.map((x) => slot.get(x) as number);
      let layer = owner;
      if (seen.has(owner)) {
        try {
          layer = layerFromConfig(owner.className, owner.getConfig());
        } catch (err) {
          throw new TypeError(`Model: layer ${owner.name} (${owner.className}) is applied twice but cannot be copied for its second use: ${(err as Error).message}`);
        }
        layer.name = owner.name;
        layer.sharesWeightsOf = owner;
      }
      seen.add(owner);
      if (owner instanceof Embedding) {
        if (reads.length !== 1 || reads[0] >= inputs.length || this.dtypes[reads[0]] !== 'int32') {
          throw new TypeError(`Model: Embedding ${owner.name} must read an Input with dtype 'int32' (token ids), got ${node.inputs[0].label}`);
        }
      } else {
        reads.forEach((s, k) => {
          if (s < inputs.length && this.dtypes[s] === 'int32') {
            throw new TypeError(`Model: ${owner.name} (${owner.className}) reads the token ids of ${node.inputs[k].label}: only an Embedding reads an 'int32' Input`);
          }
        });
      }
      // An Embedding read only by a recurrent layer folds into its input projection (Sequential's gather mode).
      if (layer instanceof Embedding) layer.folded = false;
      if (layer instanceof Recurrent) {
        layer.gatherFrom = null;
        const src = reads[0] - inputs.length;
        const prev = src >= 0 ? this.nodes[src] : null;
        if (prev && prev.layer instanceof Embedding && consumers(reads[0]).length === 1) {
          prev.layer.folded = true;
          layer.gatherFrom = prev.layer;
        }
      }
      const inShapes = reads.map((s) => shapes[s]);
      let outShape: Shape;
      if (layer instanceof MergeLayer) {
        outShape = layer.buildMany(inShapes);
      } else {
        const i = this.layers.indexOf(owner);
        outShape = layer.build([...inShapes[0]], this.seed, 16 * i + 1);
      }
      if (layer !== owner) {
        const mine = layer.weights, theirs = owner.weights;
        if (mine.length !== theirs.length || mine.some((w, j) => w.value !== theirs[j].value)) {
          throw new TypeError(`Model: layer ${owner.name} (${owner.className}) cannot be shared (applied twice): its weights are not made through Layer.weight()`);
        }
      }
      shapes.push(outShape);
      weighted.push(owner.countParams() > 0 || reads.some((s) => weighted[s]));
      this.nodes.push({ layer, owner, reads, outShape, need: reads.map((s) => weighted[s]) });
    }
    this.readers = inputs.map((_, i) => consumers(i).map((t) => this.nodes[(slot.get(t) as number) - inputs.length].layer));
    const out = this.nodes[this.nodes.length - 1];
    const noFlatten = !this.layers.some((l) => l.className === 'Flatten');
    const mergesFlat = this.nodes.every((n) => !(n.layer instanceof MergeLayer) || n.reads.every((s) => shapes[s].length === 1));
    this.trim = inputs.map((_, i) => this.readers[i].every((l) => l instanceof Embedding || l instanceof Recurrent) &&
      out.outShape.length === 1 && noFlatten && mergesFlat);
  }

  protected get outputLayer(): Layer {
    return this.nodes[this.nodes.length - 1].layer;
  }

  protected override weightsChanged(): void {
    for (const n of this.nodes) n.layer.weightsChanged();
  }

  /** As training.ts' lossAndGradients; first tells every layer object that the weights may have been edited in place. */
  override async lossAndGradients(x: FunctionalInput, y: Targets): Promise<{ loss: number; grads: Float32Array[] }> {
    this.weightsChanged();
    return super.lossAndGradients(x, y);
  }

  /** Keras-style table of layers, output shapes and parameter counts; a shared layer is listed, and counted, once. */
  summary(): string {
    const dim = (s: Shape) => `(None, ${s.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;
    const line = (c: string[]) => c[0].padEnd(29) + c[1].padEnd(26) + c[2].padEnd(10) + c[3];
    const rows = this.inputs.map((t, i) => [` ${t.label} (InputLayer)`, dim(this.inputShapes[i]), '0', '']);
    const label = (s: number) => (s < this.inputs.length ? this.inputs[s].label : this.nodes[s - this.inputs.length].owner.name);
    const listed = new Set<Layer>();
    for (const n of this.nodes) {
      if (listed.has(n.owner)) continue;
      listed.add(n.owner);
      const from = this.nodes.filter((m) => m.owner === n.owner).flatMap((m) => m.reads.map(label));
      rows.push([` ${n.owner.name} (${n.owner.className})`, dim(n.outShape), n.owner.countParams().toLocaleString('en-US'), from.join(', ')]);
    }
    const total = this.countParams().toLocaleString('en-US');
    return [
      `Model: "${this.name}"`,
      '_'.repeat(90),
      line([' Layer (type)', 'Output Shape', 'Param #', 'Connected to']),
      '='.repeat(90),
      ...rows.map(line),
      '='.repeat(90),
      `Total params: ${total}`,
      `Trainable params: ${total}`,
      'Non-trainable params: 0',
      '_'.repeat(90),
    ].join('\n');
  }

  /** The architecture as model files store it: inputs, layers (each once) and the applications wiring them. */
  getConfig(): FunctionalJSON {
    const index = (l: Layer) => this.layers.indexOf(l);
    return {
      name: this.name, seed: this.seed,
      inputs: this.inputs.map((t, i) => ({ name: t.label, shape: [...this.inputShapes[i]], dtype: this.dtypes[i] })),
      layers: this.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
      nodes: this.nodes.map((n) => ({ layer: index(n.owner), reads: [...n.reads] })),
    };
  }

  /**
   * Saves the model to one file (the format of Sequential.save, modelType 'functional'): the graph,
   * compile settings, each shared layer's weights once, and optional preprocessing. Atomic.
   */
  async save(path: string, opts: SaveOptions = {}): Promise<void> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('save: path must be a non-empty string');
    if (typeof opts !== 'object' || opts === null) throw new TypeError('save: options must be an object');
    knownOptions('save', opts, SAVE_OPTIONS);
    const preprocessing = preprocessingToJSON(opts.preprocessing);
    const compile = this.getCompileConfig();
    const bytes = await this.whenIdle(() => encodeModelFile(
      { modelType: 'functional', model: this.getConfig(), compile, preprocessing },
      this.layers.flatMap((l) => l.weights.map((w) => ({ name: `${l.name}/${w.name}`, shape: w.shape, value: w.value }))),
    ));
    await saveModelFile(path, bytes);
  }

  /** Loads a model saved by Model.save: `{ model, preprocessing }`; problems reject with a ModelFileError. */
  static async load(path: string): Promise<LoadedFunctionalModel> {
    return loadFunctional(path);
  }

  protected data(x: FunctionalInput, y: Targets | null, fn: string, argX = 'x', argY = 'y'): Data {
    const k = this.inputs.length;
    const xs: unknown[] = Array.isArray(x) ? x : [x];
    if (xs.length !== k) {
      throw new TypeError(`${fn}: ${argX} must be an array of ${k} inputs (one per model input: ${this.inputs.map((t) => t.label).join(', ')}), got ${Array.isArray(x) ? `an array of ${xs.length}` : 'one input'}`);
    }
    let n = -1;
    const flows = xs.map((xi, i): Flow => {
      const arg = Array.isArray(x) ? `${argX}[${i}]` : argX;
      const embeddings = this.readers[i].filter((l): l is Embedding => l instanceof Embedding);
      const emb = embeddings.reduce<Embedding | null>((m, e) => (m && m.inputDim <= e.inputDim ? m : e), null);
      const { shape, data, lengths } = checkInput(xi, fn, arg, emb);
      if (n >= 0 && shape[0] !== n) throw new RangeError(`${fn}: ${arg} has ${shape[0]} rows but ${argX}[0] has ${n}: every input needs one row per sample`);
      n = shape[0];
      const want = this.inputShapes[i];
      const got = shape.slice(1);
      if (got.length !== want.length || got.some((d, j) => want[j] !== null && want[j] !== d)) {
        throw new RangeError(`${fn}: ${arg} rows must have shape [${want.map((d) => d ?? 'any').join(', ')}] (${this.inputs[i].label}), got [${got.join(', ')}]`);
      }
      let lens = lengths;
      if (!lens && embeddings.some((e) => e.maskZero)) lens = lengthsFromLeadingZeros(data, n, shape[1]);
      return { data, shape, lengths: lens };
    });
    if (y === null) return { flows, n, targets: null };
    return { flows, n, targets: this.targets(y, n, this.outputShapeFor(flows), fn, argX, argY) };
  }

  private outputShapeFor(flows: Flow[]): number[] {
    return this.nodes[this.nodes.length - 1].outShape.map((d) => (d === null ? flows[0].shape[1] : d));
  }

  protected outputWidth(d: Data): number {
    return this.outputShapeFor(d.flows).at(-1) as number;
  }

  /** Buffer names of input i's batch copies (input 0 uses Sequential's). */
  private static names(i: number): [string, string] {
    return i === 0 ? ['x', 'lengths'] : [`x${i}`, `lengths${i}`];
  }

  // Each input is cut to its own longest sequence, as Sequential cuts its one input.
  protected batchOf(d: Data, rows: ArrayLike<number>, into?: Buffers): Flow[] {
    return d.flows.map((f, i) => batchRows(f, rows, this.trim[i], into, ...Model.names(i)));
  }

  protected reserve(d: Data, batchSize: number, training: boolean, batches: Buffers): void {
    const rows = Math.min(batchSize, d.n);
    const shapes: (number[] | null)[] = d.flows.map((f, i) => reserveRows(f, rows, this.trim[i], batches, ...Model.names(i)));
    this.reserveTargets(d, rows, sizeOf(this.outputShapeFor(d.flows)), training, batches);
    for (const n of this.nodes) {
      const ins = n.reads.map((s) => shapes[s]);
      let out: number[] | null = null;
      if (ins.every((s) => s !== null)) {
        const r = { training, inputGrad: n.need.some(Boolean) };
        out = n.layer instanceof MergeLayer ? n.layer.reserveMany(ins as number[][], r) : n.layer.reserve(ins[0] as number[], r);
      }
      shapes.push(out);
    }
  }

  private readonly values: Flow[] = [];

  protected async forward(x: Flow[], training: boolean, seed: number): Promise<Flow> {
    const v = this.values;
    v.length = 0;
    v.push(...x);
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i];
      const ctx = { training, seed, stream: this.steps * 1024 + i };
      const ins = n.reads.map((s) => v[s]);
      v.push(n.layer instanceof MergeLayer ? await n.layer.forwardMany(ins, ctx) : await n.layer.forward(ins[0], ctx));
    }
    return v[v.length - 1];
  }

  protected async backward(dLoss: Float32Array, fromLogits: boolean): Promise<void> {
    const k = this.inputs.length;
    // Kernels overwrite grads; a layer object whose backward does not run this step (no gradient
    // reaches it) must add nothing, so every shared layer's grads start at zero.
    const shared = this.nodes.filter((n) => n.layer !== n.owner);
    if (shared.length) {
      for (const n of this.nodes) if (n.layer !== n.owner || shared.some((s) => s.owner === n.owner)) for (const w of n.layer.weights) w.grad.fill(0);
    }
    const grads: (Float32Array | null)[] = new Array(k + this.nodes.length).fill(null);
    const owned: boolean[] = new Array(k + this.nodes.length).fill(false);
    grads[grads.length - 1] = dLoss;
    const add = (s: number, g: Float32Array) => {
      const have = grads[s];
      if (!have) {
        grads[s] = g;
        return;
      }
      // A value read by several layers: sum their gradients in our own buffer, never in a layer's.
      let sum = have;
      if (!owned[s]) {
        sum = this.sums.get(`g${s}`, have.length);
        sum.set(have);
        grads[s] = sum;
        owned[s] = true;
      }
      for (let i = 0; i < sum.length; i++) sum[i] += g[i];
    };
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      const d = grads[k + i];
      if (!d) continue;
      let res: (Float32Array | null)[];
      if (n.layer instanceof MergeLayer) res = await n.layer.backwardMany(d, n.need);
      else if (i === this.nodes.length - 1 && fromLogits) res = [await (n.layer as Dense).backwardFromLogits(d, n.need[0])];
      else res = [await n.layer.backward(d, n.need[0])];
      res.forEach((g, j) => {
        if (g && n.need[j] && n.reads[j] >= k) add(n.reads[j], g);
      });
    }
    for (const n of shared) {
      n.owner.weights.forEach((w, j) => {
        const g = n.layer.weights[j].grad;
        for (let i = 0; i < g.length; i++) w.grad[i] += g[i];
      });
    }
  }
}

// ---- Model files ---------------------------------------------------------------------------------

/** What Model.load resolves to. */
export interface LoadedFunctionalModel {
  model: Model;
  preprocessing: Preprocessing | null;
}

function checkFunctionalSection(m: unknown, bad: (what: string) => never): FunctionalJSON {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(m)) return bad('model must be an object');
  if (typeof m.name !== 'string') bad('model.name must be a string');
  if (!Number.isInteger(m.seed) || (m.seed as number) < 0) bad(`model.seed must be a non-negative integer, got ${JSON.stringify(m.seed)}`);
  if (!Array.isArray(m.inputs) || m.inputs.length === 0) return bad('model.inputs must be a non-empty array');
  m.inputs.forEach((t, i) => {
    if (!isObj(t) || typeof t.name !== 'string' || !Array.isArray(t.shape) || (t.dtype !== 'float32' && t.dtype !== 'int32')) {
      bad(`model.inputs[${i}] must be { name, shape, dtype }, got ${JSON.stringify(t)}`);
    }
  });
  if (!Array.isArray(m.layers) || m.layers.length === 0) return bad('model.layers must be a non-empty array');
  m.layers.forEach((l, i) => {
    if (!isObj(l) || typeof l.className !== 'string' || typeof l.name !== 'string' || !isObj(l.config)) {
      bad(`model.layers[${i}] must be { className, name, config }, got ${JSON.stringify(l)}`);
    }
  });
  if (!Array.isArray(m.nodes) || m.nodes.length === 0) return bad('model.nodes must be a non-empty array');
  const inputs = m.inputs.length, layers = m.layers.length;
  m.nodes.forEach((n, i) => {
    const ok = isObj(n) && Number.isInteger(n.layer) && (n.layer as number) >= 0 && (n.layer as number) < layers &&
      Array.isArray(n.reads) && n.reads.length > 0 && n.reads.every((s) => Number.isInteger(s) && s >= 0 && s < inputs + i);
    if (!ok) bad(`model.nodes[${i}] must be { layer: a layer index, reads: earlier value slots }, got ${JSON.stringify(n)}`);
  });
  return m as unknown as FunctionalJSON;
}

/** Rebuilds a Model from a file written by Model.save (the graph, the weights, the compile settings). */
async function loadFunctional(path: string): Promise<LoadedFunctionalModel> {
  const file = await readModelFile(path);
  const { fail, bad, compile } = layerModelFile(file, path, 'functional', 'a functional Model');
  const spec = checkFunctionalSection(file.header.model, bad);
  const layers = layersFromFile(spec.layers, fail);
  let model: Model;
  try {
    const values: SymbolicTensor[] = spec.inputs.map((t) => Input({ shape: t.shape, dtype: t.dtype, name: t.name }));
    for (const n of spec.nodes) {
      const ins = n.reads.map((s) => values[s]);
      values.push(layers[n.layer].apply(layers[n.layer].takesMany ? ins : ins[0]));
    }
    model = new Model({ inputs: values.slice(0, spec.inputs.length), outputs: values[values.length - 1], seed: spec.seed, name: spec.name });
  } catch (err) {
    return fail('bad-config', `cannot rebuild the model: ${(err as Error).message}`, err);
  }
  return restoreSaved(model, file, compile, fail, path);
}
