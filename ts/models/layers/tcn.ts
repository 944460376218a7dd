// A temporal convolutional network with keras-tcn's knobs (TCN(nb_filters, kernel_size, nb_stacks,
// dilations, padding, use_skip_connections, dropout_rate, return_sequences, activation)), built
// from vigil's Conv1D and SpatialDropout1D layers:
//
//   residual block (dilation d):  h = drop(act(conv_d(x)));  h = drop(act(conv_d(h)))
//                                 out = act(match(x) + h)      match = 1x1 Conv1D when widths differ
//   TCN: for each stack, for each d: x = block_d(x), keeping each block's h (its "skip" output);
//   output = sum of the skips (useSkipConnections) or the last block's out; the last step only
//   unless returnSequences.
//
// Normalisation layers (keras-tcn's use_batch_norm / use_layer_norm / use_weight_norm) are not
// offered: the book's TCNs do not use them. The receptive field is
// 1 + 2 * (kernelSize - 1) * nbStacks * sum(dilations) steps.
import { activate, activateBackward, ELEMENTWISE } from './activate.ts';
import type { ElementwiseActivation } from './activate.ts';
import { Conv1D } from './conv1d.ts';
import { Buffers, innerContext, Layer, options, positiveInt, rate, regularizerOption } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Regularizer, Shape, Weight } from './layer.ts';
import { optionNames } from '../options.ts';
import { SpatialDropout1D } from './spatial_dropout.ts';

export interface TCNOptions {
  nbFilters?: number;
  kernelSize?: number;
  nbStacks?: number;
  dilations?: number[];
  padding?: 'causal' | 'same';
  useSkipConnections?: boolean;
  dropoutRate?: number;
  returnSequences?: boolean;
  activation?: Exclude<ElementwiseActivation, 'linear'>;
  kernelRegularizer?: Regularizer | null;
  inputShape?: Shape;
}

const OPTIONS = optionNames<TCNOptions>()([
  'nbFilters', 'kernelSize', 'nbStacks', 'dilations', 'padding', 'useSkipConnections', 'dropoutRate', 'returnSequences', 'activation',
  'kernelRegularizer', 'inputShape',
]);

interface Block {
  conv1: Conv1D;
  drop1: SpatialDropout1D;
  conv2: Conv1D;
  drop2: SpatialDropout1D;
  match: Conv1D | null;
}

/** Dropout streams of the blocks: above every stream Sequential hands out (steps * 1024 + layer). */
const SUB_STREAM = 2 ** 32;

export class TCN extends Layer {
  readonly className = 'TCN';
  readonly nbFilters: number;
  readonly kernelSize: number;
  readonly nbStacks: number;
  readonly dilations: number[];
  readonly padding: 'causal' | 'same';
  readonly useSkipConnections: boolean;
  readonly dropoutRate: number;
  readonly returnSequences: boolean;
  readonly activation: Exclude<ElementwiseActivation, 'linear'>;
  readonly kernelRegularizer: { l1: number; l2: number } | null;
  private blocks: Block[] = [];
  private readonly buffers = new Buffers();
  /** Per block, its pre-activation sum and output; the input shape of the last training call. */
  private saved: { sums: Float32Array[]; outs: Float32Array[]; B: number; T: number; C: number } | null = null;

  constructor(opts?: TCNOptions) {
    const o = options<TCNOptions>('TCN', opts, OPTIONS);
    super(o.inputShape ?? null);
    this.nbFilters = positiveInt('TCN', 'nbFilters', o.nbFilters ?? 64, 1 << 16);
    this.kernelSize = positiveInt('TCN', 'kernelSize', o.kernelSize ?? 3, 1 << 12);
    this.nbStacks = positiveInt('TCN', 'nbStacks', o.nbStacks ?? 1, 64);
    const d = o.dilations ?? [1, 2, 4, 8, 16, 32];
    if (!Array.isArray(d) || d.length === 0) throw new TypeError('TCN: dilations must be a non-empty array of positive integers');
    this.dilations = d.map((v, i) => positiveInt('TCN', `dilations[${i}]`, v, 1 << 20));
    const p = o.padding ?? 'causal';
    if (p !== 'causal' && p !== 'same') throw new RangeError(`TCN: padding must be 'causal' or 'same', got ${JSON.stringify(p)}`);
    this.padding = p;
    this.useSkipConnections = o.useSkipConnections ?? true;
    if (typeof this.useSkipConnections !== 'boolean') throw new TypeError('TCN: useSkipConnections must be a boolean');
    this.dropoutRate = rate('TCN', 'dropoutRate', o.dropoutRate ?? 0);
    this.returnSequences = o.returnSequences ?? false;
    if (typeof this.returnSequences !== 'boolean') throw new TypeError('TCN: returnSequences must be a boolean');
    const act = o.activation ?? 'relu';
    if (typeof act !== 'string' || (act as string) === 'linear' || !ELEMENTWISE.includes(act)) {
      throw new RangeError(`TCN: activation must be one of relu, sigmoid, tanh, got ${JSON.stringify(act)}`);
    }
    this.activation = act;
    this.kernelRegularizer = regularizerOption('TCN', 'kernelRegularizer', o.kernelRegularizer);
  }

  getConfig(): LayerConfig {
    return {
      nbFilters: this.nbFilters, kernelSize: this.kernelSize, nbStacks: this.nbStacks, dilations: [...this.dilations],
      padding: this.padding, useSkipConnections: this.useSkipConnections, dropoutRate: this.dropoutRate,
      returnSequences: this.returnSequences, activation: this.activation,
      kernelRegularizer: this.kernelRegularizer && { ...this.kernelRegularizer }, inputShape: this.inputShape ? [...this.inputShape] : null,
    };
  }

  /** Steps of history one output sees. */
  get receptiveField(): number {
    return 1 + 2 * (this.kernelSize - 1) * this.nbStacks * this.dilations.reduce((a, b) => a + b, 0);
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    const [T, C] = inputShape;
    if (inputShape.length !== 2 || typeof C !== 'number') {
      throw new RangeError(`TCN: input must be [batch, time, channels] with known channels, got [batch, ${inputShape.join(', ')}]`);
    }
    const F = this.nbFilters;
    const conv = (d: number, k: number) => new Conv1D(F, k, {
      dilationRate: d, padding: this.padding, activation: k === 1 ? 'linear' : this.activation, kernelRegularizer: this.kernelRegularizer,
    });
    this.blocks = [];
    this.weightList = [];
    let width = C;
    let stream = streamBase * 4096;
    const named = (prefix: string, ws: readonly Weight[]) => ws.map((w) => ({ ...w, name: `${prefix}/${w.name}` }));
    for (let s = 0; s < this.nbStacks; s++) {
      for (const d of this.dilations) {
        const i = this.blocks.length;
        const b: Block = {
          conv1: conv(d, this.kernelSize), drop1: new SpatialDropout1D(this.dropoutRate),
          conv2: conv(d, this.kernelSize), drop2: new SpatialDropout1D(this.dropoutRate),
          match: width === F ? null : conv(1, 1),
        };
        b.conv1.build([T, width], seed, stream++);
        b.drop1.build([T, F]);
        b.conv2.build([T, F], seed, stream++);
        b.drop2.build([T, F]);
        b.match?.build([T, width], seed, stream++);
        this.weightList.push(...named(`block${i}/conv1`, b.conv1.weights), ...named(`block${i}/conv2`, b.conv2.weights));
        if (b.match) this.weightList.push(...named(`block${i}/match`, b.match.weights));
        this.blocks.push(b);
        width = F;
      }
    }
    this.built = true;
    this.outShape = this.returnSequences ? [T, F] : [F];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    if (!(input.data instanceof Float32Array) || input.shape.length !== 3) throw new TypeError('TCN: input must be a Float32Array [batch, time, channels]');
    const [B, T, C] = input.shape;
    const F = this.nbFilters, n = B * T * F;
    const sums: Float32Array[] = [], outs: Float32Array[] = [];
    const skip = this.useSkipConnections ? this.buffers.get('skip', n).fill(0) : null;
    let x: Flow = input;
    for (const [i, b] of this.blocks.entries()) {
      const sub = (k: number): CallContext => innerContext(ctx, (2 * i + k + 1) * SUB_STREAM);
      const inner = innerContext(ctx);
      let h = await b.conv1.forward(x, inner);
      h = await b.drop1.forward(h, sub(0));
      h = await b.conv2.forward(h, inner);
      h = await b.drop2.forward(h, sub(1));
      const res = b.match ? (await b.match.forward(x, inner)).data as Float32Array : x.data as Float32Array;
      const hd = h.data as Float32Array;
      const sum = this.buffers.get(`sum${i}`, n);
      for (let j = 0; j < n; j++) sum[j] = res[j] + hd[j];
      if (skip) for (let j = 0; j < n; j++) skip[j] += hd[j];
      const out = this.buffers.get(`out${i}`, n);
      await activate(this.activation, n, sum, out);
      sums.push(sum);
      outs.push(out);
      x = { data: out, shape: [B, T, F], lengths: h.lengths };
    }
    if (ctx.training) this.saved = { sums, outs, B, T, C };
    const full = skip ?? (x.data as Float32Array);
    if (this.returnSequences) return { data: full, shape: [B, T, F], lengths: input.lengths };
    // The last step is each row's last valid step under 'pre' padding.
    const last = this.buffers.get('last', B * F);
    for (let r = 0; r < B; r++) last.set(full.subarray(((r + 1) * T - 1) * F, (r + 1) * T * F), r * F);
    return { data: last, shape: [B, F], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('TCN: backward without a training forward');
    this.saved = null;
    const { B, T } = s;
    const F = this.nbFilters, n = B * T * F;
    let dFull = dOut;
    if (!this.returnSequences) {
      dFull = this.buffers.get('dFull', n).fill(0);
      for (let r = 0; r < B; r++) dFull.set(dOut.subarray(r * F, (r + 1) * F), ((r + 1) * T - 1) * F);
    }
    // Gradient w.r.t. the current block's output: the final output itself only without skips.
    let dBlockOut: Float32Array | null = this.useSkipConnections ? null : dFull;
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const b = this.blocks[i];
      const dSum = this.buffers.get('dSum', n);
      if (dBlockOut) await activateBackward(this.activation, n, s.outs[i], dBlockOut, dSum);
      else dSum.fill(0);
      // The block's h feeds the sum and, with skips, the output directly.
      let dH = dSum;
      if (this.useSkipConnections) {
        dH = this.buffers.get('dH', n);
        for (let j = 0; j < n; j++) dH[j] = dSum[j] + dFull[j];
      }
      const need = needInputGrad || i > 0;
      let g = await b.drop2.backward(dH, true) as Float32Array;
      g = await b.conv2.backward(g, true) as Float32Array;
      g = await b.drop1.backward(g, true) as Float32Array;
      const dXa = await b.conv1.backward(g, need);
      const dXr = b.match ? await b.match.backward(dSum, need) : dSum;
      if (!need) return null;
      const width = i === 0 ? s.C : F;
      const dX = this.buffers.get(i === 0 ? 'dX' : `dIn${i % 2}`, B * T * width);
      const a = dXa as Float32Array, r = dXr as Float32Array;
      for (let j = 0; j < dX.length; j++) dX[j] = a[j] + r[j];
      dBlockOut = dX;
    }
    return dBlockOut;
  }

  override weightsChanged(): void {
    for (const b of this.blocks) for (const c of [b.conv1, b.conv2, b.match]) c?.weightsChanged();
  }

  override regularize(): number {
    let p = 0;
    for (const b of this.blocks) for (const c of [b.conv1, b.conv2, b.match]) if (c) p += c.regularize();
    return p;
  }
}
