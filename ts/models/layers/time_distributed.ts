// Keras TimeDistributed(layer): applies a layer to every step of a [batch, time, ...] sequence
// with one set of weights, by running it on [batch * time, ...] (the book's LSTM autoencoder ends
// in TimeDistributed(Dense(1))). Lengths pass through: padded steps go through the inner layer too
// and stay outside every valid range downstream.
import { Layer } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Shape, Weight } from './layer.ts';

export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  readonly layer: Layer;

  constructor(layer: Layer) {
    super(null);
    if (!(layer instanceof Layer)) throw new TypeError('TimeDistributed: layer must be a vigil Layer');
    this.layer = layer;
  }

  getConfig(): LayerConfig {
    return { layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    if (inputShape.length < 2) throw new RangeError(`TimeDistributed: input must be [batch, time, ...], got [batch, ${inputShape.join(', ')}]`);
    const inner = this.layer.build(inputShape.slice(1), seed, streamBase);
    // The inner layer's weights themselves (same arrays), so optimizers and files see them.
    this.weightList = [...this.layer.weights] as Weight[];
    this.built = true;
    this.outShape = [inputShape[0], ...inner];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const [B, T, ...rest] = input.shape;
    // ctx as it came (with `out` when this is the last layer): the inner layer's output, reshaped,
    // is this layer's output, so it may write straight into the result.
    const out = await this.layer.forward({ data: input.data, shape: [B * T, ...rest], lengths: null }, ctx);
    return { data: out.data, shape: [B, T, ...out.shape.slice(1)], lengths: input.lengths };
  }

  backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    return this.layer.backward(dOut, needInputGrad);
  }

  override weightsChanged(): void {
    this.layer.weightsChanged();
  }

  override regularize(): number {
    return this.layer.regularize();
  }
}
