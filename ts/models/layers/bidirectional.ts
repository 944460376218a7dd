// Keras' Bidirectional(LSTM(...)) wrapper: one copy of the recurrent layer reads each sequence
// forwards, a second copy (its own weights) reads it backwards, and their outputs are merged.
// With 'pre' padding only the last len steps of a row are real, so the backward copy reads those
// steps in reverse and leaves the padding where it is: the packed kernels still skip it, and the
// backward copy's last state summarises the sequence from its first real character on, as Keras
// computes it with a mask. Composed from the existing kernels: no native code of its own.
import { Buffers, innerContext, Layer, options } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Shape, Weight } from './layer.ts';
import { optionNames } from '../options.ts';
import { Recurrent } from './recurrent.ts';

export type MergeMode = 'concat' | 'sum' | 'ave';
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'ave'];

export interface BidirectionalOptions {
  /** How the two directions combine (default 'concat', as Keras): concat doubles the width. */
  mergeMode?: MergeMode;
  /** Keras' input_shape [time, features] when this is the first layer. */
  inputShape?: Shape;
}

const OPTIONS = optionNames<BidirectionalOptions>()(['mergeMode', 'inputShape']);

/** Dropout streams of the backward copy: far from the per-layer streams Sequential hands out. */
const BACKWARD_STREAM = 512;

/**
 * Copies x [B, T, F] into out with each row's last len steps in reverse order (steps before them,
 * the padding, are copied as they are). Its own inverse.
 */
function reverseValid(x: Float32Array, out: Float32Array, B: number, T: number, F: number, lengths: Int32Array | null): void {
  for (let b = 0; b < B; b++) {
    const L = lengths ? lengths[b] : T;
    const row = b * T * F;
    const off = T - L;
    if (off > 0) out.set(x.subarray(row, row + off * F), row);
    for (let k = 0; k < L; k++) {
      const from = row + (T - 1 - k) * F;
      out.set(x.subarray(from, from + F), row + (off + k) * F);
    }
  }
}

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: Recurrent;
  readonly backwardLayer: Recurrent;
  readonly mergeMode: MergeMode;
  private readonly buffers = new Buffers();
  private saved: { B: number; T: number; lengths: Int32Array | null } | null = null;

  constructor(layer: Recurrent, opts?: BidirectionalOptions) {
    const o = options<BidirectionalOptions>('Bidirectional', opts, OPTIONS);
    super(o.inputShape ?? layer?.inputShape ?? null);
    if (!(layer instanceof Recurrent)) throw new TypeError('Bidirectional: layer must be a recurrent layer (LSTM, SimpleRNN)');
    if (layer.isBuilt) throw new TypeError('Bidirectional: layer must be a new, unbuilt layer');
    const mode = o.mergeMode ?? 'concat';
    if (typeof mode !== 'string') throw new TypeError(`Bidirectional: mergeMode must be a string, got ${typeof mode}`);
    if (!MERGE_MODES.includes(mode)) throw new RangeError(`Bidirectional: mergeMode must be one of ${MERGE_MODES.join(', ')}, got '${mode}'`);
    this.mergeMode = mode;
    this.forwardLayer = layer;
    // The backward copy: same class and options, weights of its own (Keras copies the config).
    const Ctor = layer.constructor as new (units: number, o: object) => Recurrent;
    const { units, ...rest } = layer.getConfig();
    this.backwardLayer = new Ctor(units, { ...rest, inputShape: rest.inputShape ?? undefined });
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  getConfig(): LayerConfig {
    return {
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      mergeMode: this.mergeMode,
      inputShape: this.inputShape ? [...this.inputShape] : null,
    };
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    const f = this.forwardLayer, b = this.backwardLayer;
    f.gatherFrom = null;
    b.gatherFrom = null;
    const inner = f.build(inputShape, seed, streamBase);
    b.build(inputShape, seed, streamBase + 4);
    const prefix = (dir: string, w: Weight): Weight => ({ ...w, name: `${dir}_${f.className.toLowerCase()}/${w.name}` });
    // Shared arrays: the optimizer's in-place updates reach the inner layers.
    this.weightList = [...f.weights.map((w) => prefix('forward', w)), ...b.weights.map((w) => prefix('backward', w))];
    const H = f.units;
    const width = this.mergeMode === 'concat' ? 2 * H : H;
    this.outShape = this.returnSequences ? [inner[0], width] : [width];
    this.built = true;
    return this.outShape;
  }

  override weightsChanged(): void {
    this.forwardLayer.weightsChanged();
    this.backwardLayer.weightsChanged();
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    if (!(input.data instanceof Float32Array) || input.shape.length !== 3) {
      throw new TypeError('Bidirectional: input must be a Float32Array [batch, time, features]');
    }
    const [B, T, F] = input.shape;
    const lengths = input.lengths;
    const rev = this.buffers.get('rev', B * T * F);
    reverseValid(input.data, rev, B, T, F, lengths);
    const fo = await this.forwardLayer.forward(input, innerContext(ctx));
    const bo = await this.backwardLayer.forward({ data: rev, shape: [B, T, F], lengths }, innerContext(ctx, BACKWARD_STREAM));
    const fwd = fo.data as Float32Array;
    let bwd = bo.data as Float32Array;
    const H = this.forwardLayer.units;
    const rows = this.returnSequences ? B * T : B;
    if (this.returnSequences) {
      // Step t of the backward copy's output belongs to the mirrored step of the input.
      const back = this.buffers.get('bwdSeq', B * T * H);
      reverseValid(bwd, back, B, T, H, lengths);
      bwd = back;
    }
    const concat = this.mergeMode === 'concat';
    const out = this.buffers.get('out', rows * (concat ? 2 * H : H));
    if (concat) {
      for (let r = 0; r < rows; r++) {
        out.set(fwd.subarray(r * H, (r + 1) * H), 2 * r * H);
        out.set(bwd.subarray(r * H, (r + 1) * H), (2 * r + 1) * H);
      }
    } else {
      const k = this.mergeMode === 'ave' ? 0.5 : 1;
      for (let i = 0; i < rows * H; i++) out[i] = (fwd[i] + bwd[i]) * k;
    }
    if (ctx.training) this.saved = { B, T, lengths };
    return this.returnSequences
      ? { data: out, shape: [B, T, concat ? 2 * H : H], lengths }
      : { data: out, shape: [B, concat ? 2 * H : H], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('Bidirectional: backward without a training forward');
    this.saved = null;
    const { B, T, lengths } = s;
    const H = this.forwardLayer.units;
    const rows = this.returnSequences ? B * T : B;
    const dF = this.buffers.get('dF', rows * H);
    let dB = this.buffers.get('dB', rows * H);
    if (this.mergeMode === 'concat') {
      for (let r = 0; r < rows; r++) {
        dF.set(dOut.subarray(2 * r * H, (2 * r + 1) * H), r * H);
        dB.set(dOut.subarray((2 * r + 1) * H, (2 * r + 2) * H), r * H);
      }
    } else {
      const k = this.mergeMode === 'ave' ? 0.5 : 1;
      for (let i = 0; i < rows * H; i++) dF[i] = dB[i] = dOut[i] * k;
    }
    if (this.returnSequences) {
      const back = this.buffers.get('dBrev', B * T * H);
      reverseValid(dB, back, B, T, H, lengths);
      dB = back;
    }
    const dxF = await this.forwardLayer.backward(dF, needInputGrad);
    const dxB = await this.backwardLayer.backward(dB, needInputGrad);
    if (!needInputGrad || !dxF || !dxB) return null;
    const F = dxF.length / (B * T);
    const dX = this.buffers.get('dX', B * T * F);
    reverseValid(dxB, dX, B, T, F, lengths);
    for (let i = 0; i < dX.length; i++) dX[i] += dxF[i];
    return dX;
  }
}
