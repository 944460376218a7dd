// What LSTM and SimpleRNN share: weights in PyTorch layout (W_ih [G, I], W_hh [G, H], one bias
// [G]; G = 4H for the LSTM, H for the SimpleRNN), Keras' default initialisers, 'pre'-padded
// lengths (padded steps cost nothing and output 0), variational recurrent dropout, and gather mode
// when an Embedding feeds the layer.
import { glorotUniform, orthogonal } from '../initializers.ts';
import type { Embedding } from './embedding.ts';
import { ASYNC_WORK, Buffers, Layer, options, positiveInt, rate } from './layer.ts';
import type { CallContext, Flow, Reserve, Shape } from './layer.ts';
import { optionNames } from '../options.ts';
import type { LstmBackwardOptions, LstmForwardOptions } from '../../bindings/lstm.ts';

export interface RecurrentOptions {
  /** Output every step [batch, time, units] instead of the last state [batch, units] (default false). */
  returnSequences?: boolean;
  /** Variational dropout rate on the recurrent state, training only (default 0). */
  recurrentDropout?: number;
  /** Keras' input_shape [time, features] when this is the first layer. */
  inputShape?: Shape;
}

const OPTIONS = optionNames<RecurrentOptions>()(['returnSequences', 'recurrentDropout', 'inputShape']);

/** A recurrent layer's constructor options as plain JSON (getConfig; units is the first argument). */
export type RecurrentConfig = { units: number; returnSequences: boolean; recurrentDropout: number; inputShape: Shape | null };

/** The kernel entry points of one recurrent family. */
export interface RecurrentKernels {
  gatesPerUnit: number;
  cacheSize(batch: number, time: number, hidden: number): number;
  forward(o: LstmForwardOptions): void;
  forwardAsync(o: LstmForwardOptions): Promise<void>;
  backward(o: LstmBackwardOptions): void;
  backwardAsync(o: LstmBackwardOptions): Promise<void>;
  fold(V: number, E: number, H: number, emb: Float32Array, wIh: Float32Array, bias: Float32Array, table: Float32Array): void;
  foldAsync(V: number, E: number, H: number, emb: Float32Array, wIh: Float32Array, bias: Float32Array, table: Float32Array): Promise<void>;
  unfold(V: number, E: number, H: number, emb: Float32Array, wIh: Float32Array, dTable: Float32Array,
    dEmb: Float32Array, dWIh: Float32Array, dBias: Float32Array): void;
  unfoldAsync(V: number, E: number, H: number, emb: Float32Array, wIh: Float32Array, dTable: Float32Array,
    dEmb: Float32Array, dWIh: Float32Array, dBias: Float32Array): Promise<void>;
}

export abstract class Recurrent extends Layer {
  readonly units: number;
  readonly returnSequences: boolean;
  readonly recurrentDropout: number;
  /** Set by Sequential when an Embedding feeds this layer: read token ids through the folded table. */
  gatherFrom: Embedding | null = null;
  inputDim = 0;
  kernel: Float32Array = new Float32Array(0);
  recurrentKernel: Float32Array = new Float32Array(0);
  bias: Float32Array = new Float32Array(0);
  protected abstract readonly kernels: RecurrentKernels;
  private readonly buffers = new Buffers();
  private table: Float32Array | null = null;
  private tableStale = true;
  private saved: { flow: Flow; B: number; T: number; cache: Float32Array; seed: number; stream: number; dropout: number } | null = null;

  constructor(fn: string, units: number, opts?: RecurrentOptions) {
    const o = options<RecurrentOptions>(fn, opts, OPTIONS);
    super(o.inputShape ?? null);
    this.units = positiveInt(fn, 'units', units, 1 << 13);
    this.returnSequences = o.returnSequences ?? false;
    if (typeof this.returnSequences !== 'boolean') throw new TypeError(`${fn}: returnSequences must be a boolean`);
    this.recurrentDropout = rate(fn, 'recurrentDropout', o.recurrentDropout ?? 0);
  }

  protected get gates(): number {
    return this.kernels.gatesPerUnit * this.units;
  }

  /** The initial bias (LSTM: unit_forget_bias). */
  protected abstract initialBias(): Float32Array;

  getConfig(): RecurrentConfig {
    return {
      units: this.units, returnSequences: this.returnSequences, recurrentDropout: this.recurrentDropout,
      inputShape: this.inputShape ? [...this.inputShape] : null,
    };
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    const gather = this.gatherFrom;
    if (!gather && inputShape.length !== 2) {
      throw new RangeError(`${this.className}: input must be [batch, time, features], got [batch, ${inputShape.join(', ')}]`);
    }
    const I = gather ? gather.outputDim : inputShape[1];
    if (typeof I !== 'number') throw new RangeError(`${this.className}: the feature dimension of the input must be known`);
    this.inputDim = I;
    const H = this.units, G = this.gates;
    this.weightList = [];
    // Keras: kernel Glorot uniform over (I, G); recurrent kernel orthogonal ([H, G] with orthonormal
    // rows is our [G, H] with orthonormal columns); bias zeros (LSTM: forget block 1).
    this.kernel = this.weight('kernel', glorotUniform(I, G, seed, streamBase), [G, I]);
    this.recurrentKernel = this.weight('recurrent_kernel', orthogonal(G, H, seed, streamBase + 1), [G, H]);
    this.bias = this.weight('bias', this.initialBias(), [G]);
    if (gather) this.table = new Float32Array(gather.inputDim * G);
    this.built = true;
    this.outShape = this.returnSequences ? [inputShape[0], H] : [H];
    return this.outShape;
  }

  override weightsChanged(): void {
    this.tableStale = true;
  }

  private async foldTable(): Promise<void> {
    const emb = this.gatherFrom as Embedding;
    if (!this.tableStale) return;
    const V = emb.inputDim, E = emb.outputDim, H = this.units;
    const table = this.table as Float32Array;
    if (V * E * this.gates > ASYNC_WORK) await this.kernels.foldAsync(V, E, H, emb.embeddings, this.kernel, this.bias, table);
    else this.kernels.fold(V, E, H, emb.embeddings, this.kernel, this.bias, table);
    this.tableStale = false;
  }

  override reserve(shape: readonly number[], r: Reserve): number[] | null {
    const [B, T] = shape;
    const H = this.units;
    if (r.training) this.buffers.reserve('cache', this.kernels.cacheSize(B, T, H));
    this.buffers.reserve(this.returnSequences ? 'out' : 'hLast', this.returnSequences ? B * T * H : B * H);
    // Inference after returnSequences may take forwardMaxPooled (a GlobalMaxPooling1D next);
    // training never does.
    if (this.returnSequences && !r.training) this.buffers.reserve('outMax', B * H);
    if (r.training) {
      const emb = this.gatherFrom;
      if (emb) this.buffers.reserve('dTable', emb.inputDim * this.gates);
      else if (r.inputGrad) this.buffers.reserve('dX', B * T * this.inputDim);
    }
    return this.returnSequences ? [B, T, H] : [B, H];
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    return this.run(input, ctx, false);
  }

  /**
   * Inference only: this layer (returnSequences) followed by a GlobalMaxPooling1D, in one kernel
   * call that keeps each unit's running maximum over the valid steps instead of writing every
   * step's output ([B, T, H], mostly padding zeros) for the pooling to scan. Same values as
   * forward then the pooling; Sequential uses it when it sees that pair outside training.
   */
  async forwardMaxPooled(input: Flow, ctx: CallContext): Promise<Flow> {
    if (ctx.training || !this.returnSequences) throw new Error(`${this.className}: forwardMaxPooled is for inference after returnSequences`);
    return this.run(input, ctx, true);
  }

  private async run(input: Flow, ctx: CallContext, maxPooled: boolean): Promise<Flow> {
    const gather = this.gatherFrom !== null;
    const [B, T] = input.shape;
    const H = this.units;
    if (gather) {
      if (!(input.data instanceof Int32Array)) throw new TypeError(`${this.className}: expected token ids from the Embedding`);
      await this.foldTable();
    } else if (!(input.data instanceof Float32Array)) {
      throw new TypeError(`${this.className}: input must be a Float32Array [batch, time, features]`);
    }
    const dropout = ctx.training ? this.recurrentDropout : 0;
    const cache = ctx.training ? this.buffers.get('cache', this.kernels.cacheSize(B, T, H)) : null;
    const out = this.returnSequences && !maxPooled ? this.buffers.get('out', B * T * H) : null;
    const hLast = this.returnSequences ? null : this.buffers.get('hLast', B * H);
    const outMax = maxPooled ? this.buffers.get('outMax', B * H) : null;
    const o: LstmForwardOptions = {
      batch: B, time: T, hidden: H, wHh: this.recurrentKernel, lengths: input.lengths, padding: 'pre',
      training: ctx.training, dropout, seed: ctx.seed, stream: ctx.stream, cache, out, hLast, outMax,
      ...(gather
        ? { tokens: input.data as Int32Array, table: this.table as Float32Array, vocab: (this.gatherFrom as Embedding).inputDim }
        : { input: this.inputDim, x: input.data as Float32Array, wIh: this.kernel, bias: this.bias }),
    };
    const work = B * T * this.gates * (H + (gather ? 0 : this.inputDim));
    if (work > ASYNC_WORK) await this.kernels.forwardAsync(o);
    else this.kernels.forward(o);
    if (ctx.training) this.saved = { flow: input, B, T, cache: cache as Float32Array, seed: ctx.seed, stream: ctx.stream, dropout };
    if (maxPooled) return { data: outMax as Float32Array, shape: [B, H], lengths: null };
    return this.returnSequences
      ? { data: out as Float32Array, shape: [B, T, H], lengths: input.lengths }
      : { data: hLast as Float32Array, shape: [B, H], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error(`${this.className}: backward without a training forward`);
    this.saved = null; // the backward consumes the cache
    const { B, T } = s;
    const H = this.units, G = this.gates;
    const [gK, gR, gB] = this.weightList.map((w) => w.grad);
    const emb = this.gatherFrom;
    const dX = !emb && needInputGrad ? this.buffers.get('dX', B * T * this.inputDim) : null;
    const dTable = emb ? this.buffers.get('dTable', emb.inputDim * G) : null;
    const o: LstmBackwardOptions = {
      batch: B, time: T, hidden: H, wHh: this.recurrentKernel, lengths: s.flow.lengths, padding: 'pre',
      dropout: s.dropout, seed: s.seed, stream: s.stream, cache: s.cache,
      dY: this.returnSequences ? dOut : null, dHlast: this.returnSequences ? null : dOut,
      dWHh: gR,
      ...(emb
        ? { tokens: s.flow.data as Int32Array, vocab: emb.inputDim, dTable }
        : { input: this.inputDim, x: s.flow.data as Float32Array, wIh: this.kernel, dX, dWIh: gK, dBias: gB }),
    };
    const work = B * T * G * (2 * H + (emb ? 0 : 2 * this.inputDim));
    if (work > ASYNC_WORK) await this.kernels.backwardAsync(o);
    else this.kernels.backward(o);
    if (emb) {
      const V = emb.inputDim, E = emb.outputDim;
      const dEmb = emb.weights[0].grad;
      const table = dTable as Float32Array;
      if (V * E * G > ASYNC_WORK) await this.kernels.unfoldAsync(V, E, H, emb.embeddings, this.kernel, table, dEmb, gK, gB);
      else this.kernels.unfold(V, E, H, emb.embeddings, this.kernel, table, dEmb, gK, gB);
    }
    return dX;
  }
}
