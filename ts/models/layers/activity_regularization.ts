// Keras ActivityRegularization({ l1, l2 }): the identity, with the penalty
// (l1·Σ|a| + l2·Σa²) / batch on the activations a that pass through it added to the training loss
// (Keras divides activity penalties by the batch size). Placed after a Dense layer it is that
// layer's activity_regularizer: the book's sparse autoencoder puts an L1 penalty on its code.
//
// The penalty depends on the activations, so its gradient must reach every earlier layer: it is
// added to the incoming gradient in backward(), and regularize() only reports the value.
import { Buffers, Layer, options, regularizerOption } from './layer.ts';
import type { CallContext, Flow, Regularizer, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

const OPTIONS = optionNames<Regularizer>()(['l1', 'l2']);

export class ActivityRegularization extends Layer {
  readonly className = 'ActivityRegularization';
  readonly l1: number;
  readonly l2: number;
  private readonly buffers = new Buffers();
  private saved: { x: Float32Array; batch: number } | null = null;
  private penalty = 0;

  constructor(opts?: Regularizer) {
    super(null);
    const o = options<Regularizer>('ActivityRegularization', opts, OPTIONS);
    const r = regularizerOption('ActivityRegularization', 'options', { l1: o.l1 ?? 0, l2: o.l2 ?? 0 });
    this.l1 = r?.l1 ?? 0;
    this.l2 = r?.l2 ?? 0;
  }

  getConfig(): { l1: number; l2: number } {
    return { l1: this.l1, l2: this.l2 };
  }

  build(inputShape: Shape): Shape {
    this.built = true;
    this.outShape = [...inputShape];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    this.penalty = 0;
    this.saved = null;
    if (!ctx.training) return input;
    const x = input.data;
    if (!(x instanceof Float32Array)) throw new TypeError('ActivityRegularization: input must be a Float32Array');
    const batch = Math.max(input.shape[0], 1);
    let sumAbs = 0, sumSq = 0;
    for (let i = 0; i < x.length; i++) {
      sumAbs += Math.abs(x[i]);
      sumSq += x[i] * x[i];
    }
    this.penalty = (this.l1 * sumAbs + this.l2 * sumSq) / batch;
    this.saved = { x, batch };
    return input;
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    this.saved = null;
    if (!needInputGrad) return null;
    if (!s) return dOut;
    const dX = this.buffers.get('dX', dOut.length);
    const a = this.l1 / s.batch, b = (2 * this.l2) / s.batch;
    for (let i = 0; i < dOut.length; i++) dX[i] = dOut[i] + a * Math.sign(s.x[i]) + b * s.x[i];
    return dX;
  }

  /** The penalty of the last training forward (its gradient went out through backward). */
  override regularize(): number {
    const p = this.penalty;
    this.penalty = 0;
    return p;
  }
}
