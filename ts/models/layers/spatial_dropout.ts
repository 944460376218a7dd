// Keras SpatialDropout1D(rate): drops whole channels of a [batch, time, channels] sequence (one
// factor per row and channel), so neighbouring steps of a convolution's output, which are
// strongly correlated, cannot stand in for each other. Identity at inference. Masks come from the
// Philox stream Sequential gives each (training step, layer), as Dropout's do.
import { spatialDropout1d, spatialDropout1dAsync } from '../../bindings/pool1d.ts';
import { ASYNC_WORK, Buffers, Layer, rate } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Shape } from './layer.ts';

export class SpatialDropout1D extends Layer {
  readonly className = 'SpatialDropout1D';
  readonly rate: number;
  private readonly buffers = new Buffers();
  private saved: { seed: number; stream: number; B: number; T: number; C: number } | null = null;

  constructor(rateValue: number) {
    super(null);
    this.rate = rate('SpatialDropout1D', 'rate', rateValue);
  }

  getConfig(): LayerConfig {
    return { rate: this.rate };
  }

  build(inputShape: Shape): Shape {
    if (inputShape.length !== 2) throw new RangeError(`SpatialDropout1D: input must be [batch, time, channels], got [batch, ${inputShape.join(', ')}]`);
    this.built = true;
    this.outShape = [...inputShape];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    this.saved = null;
    if (!ctx.training || this.rate === 0) return input;
    const x = input.data;
    if (!(x instanceof Float32Array) || input.shape.length !== 3) throw new TypeError('SpatialDropout1D: input must be a Float32Array [batch, time, channels]');
    const [B, T, C] = input.shape;
    this.saved = { seed: ctx.seed, stream: ctx.stream, B, T, C };
    const y = this.buffers.get('y', x.length);
    await this.applyMask(x, y);
    return { data: y, shape: input.shape, lengths: input.lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    if (!needInputGrad) return null;
    if (!this.saved) return dOut;
    const dX = this.buffers.get('dX', dOut.length);
    await this.applyMask(dOut, dX);
    return dX;
  }

  // The same factors map x to y and dY to dX.
  private async applyMask(x: Float32Array, y: Float32Array): Promise<void> {
    const { seed, stream, B, T, C } = this.saved as NonNullable<typeof this.saved>;
    if (x.length > ASYNC_WORK) await spatialDropout1dAsync(B, T, C, this.rate, seed, stream, x, y);
    else spatialDropout1d(B, T, C, this.rate, seed, stream, x, y);
  }
}
