// Keras Dropout(rate): inverted dropout while training, the identity at inference. Masks come from
// the Philox stream of (seed, stream) that Sequential gives each training step and layer.
// Sequences with lengths ('pre' padding) are dropped on their valid steps only: those get the
// factors the unpacked call would give them, padded steps become 0 (as a recurrent layer's padded
// outputs are) and cost nothing, so a 1,024-step batch of 200-step requests costs 200 steps.
import {
  dropoutBackward, dropoutBackwardAsync, dropoutForward, dropoutForwardAsync, dropoutSequences, dropoutSequencesAsync,
} from '../../bindings/dropout.ts';
import { ASYNC_WORK, Buffers, Layer, rate } from './layer.ts';
import type { CallContext, Flow, Reserve, Shape } from './layer.ts';

interface Saved {
  seed: number;
  stream: number;
  active: boolean;
  /** [B, T, F] and lengths when the last training input was padded sequences. */
  seq: { B: number; T: number; F: number; lengths: Int32Array } | null;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  private readonly buffers = new Buffers();
  private saved: Saved = { seed: 0, stream: 0, active: false, seq: null };

  constructor(rateValue: number) {
    super(null);
    this.rate = rate('Dropout', 'rate', rateValue);
  }

  getConfig(): { rate: number } {
    return { rate: this.rate };
  }

  build(inputShape: Shape): Shape {
    this.built = true;
    this.outShape = [...inputShape];
    return this.outShape;
  }

  override reserve(shape: readonly number[], r: Reserve): number[] | null {
    // Inference passes the input through: only training uses the buffers.
    if (r.training && this.rate > 0) {
      const n = shape.reduce((a, b) => a * b, 1);
      this.buffers.reserve('y', n);
      if (r.inputGrad) this.buffers.reserve('dX', n);
    }
    return [...shape];
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const active = ctx.training && this.rate > 0;
    const seq = input.lengths && input.shape.length >= 3
      ? { B: input.shape[0], T: input.shape[1], F: input.shape.slice(2).reduce((a, b) => a * b, 1), lengths: input.lengths }
      : null;
    this.saved = { seed: ctx.seed, stream: ctx.stream, active, seq };
    if (!active) return input;
    const x = input.data;
    if (!(x instanceof Float32Array)) throw new TypeError('Dropout: input must be a Float32Array');
    const y = this.buffers.get('y', x.length);
    await this.applyMask(x, y);
    return { data: y, shape: input.shape, lengths: input.lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    if (!needInputGrad) return null;
    if (!this.saved.active) return dOut;
    const dX = this.buffers.get('dX', dOut.length);
    await this.applyMask(dOut, dX);
    return dX;
  }

  // Forward and backward are the same map (x -> y, dY -> dX) under the saved seed and stream.
  private async applyMask(x: Float32Array, y: Float32Array): Promise<void> {
    const { seed, stream, seq } = this.saved;
    const big = x.length > ASYNC_WORK;
    if (seq) {
      const { B, T, F, lengths } = seq;
      if (big) await dropoutSequencesAsync(B, T, F, lengths, this.rate, seed, stream, x, y);
      else dropoutSequences(B, T, F, lengths, this.rate, seed, stream, x, y);
    } else if (big) await dropoutForwardAsync(x.length, this.rate, seed, stream, x, y);
    else dropoutForward(x.length, this.rate, seed, stream, x, y);
  }
}
