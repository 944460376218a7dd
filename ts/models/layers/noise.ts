// Keras GaussianNoise(stddev): adds N(0, stddev²) noise to its input while training and is the
// identity at inference, so a model that starts with it learns to reconstruct clean rows from
// noisy ones (a denoising autoencoder). The noise comes from the Philox stream of (seed, stream)
// that Sequential gives each training step and layer, as dropout masks do.
import { randomNormal } from '../../bindings/random.ts';
import { Buffers, Layer } from './layer.ts';
import type { CallContext, Flow, Shape } from './layer.ts';

export class GaussianNoise extends Layer {
  readonly className = 'GaussianNoise';
  readonly stddev: number;
  private readonly buffers = new Buffers();

  constructor(stddev: number) {
    super(null);
    if (typeof stddev !== 'number') throw new TypeError(`GaussianNoise: stddev must be a number, got ${typeof stddev}`);
    if (!(stddev >= 0 && Number.isFinite(stddev))) throw new RangeError(`GaussianNoise: stddev must be a finite number >= 0, got ${stddev}`);
    this.stddev = stddev;
  }

  getConfig(): { stddev: number } {
    return { stddev: this.stddev };
  }

  build(inputShape: Shape): Shape {
    this.built = true;
    this.outShape = [...inputShape];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    if (!ctx.training || this.stddev === 0) return input;
    const x = input.data;
    if (!(x instanceof Float32Array)) throw new TypeError('GaussianNoise: input must be a Float32Array');
    const y = randomNormal(this.buffers.get('y', x.length), ctx.seed, ctx.stream, 0, this.stddev);
    for (let i = 0; i < x.length; i++) y[i] += x[i];
    return { data: y, shape: input.shape, lengths: input.lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    return needInputGrad ? dOut : null;
  }
}
