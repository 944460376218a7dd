// Keras Flatten(): [batch, d1, d2, ...] -> [batch, d1·d2·...] (row-major, so no data moves).
import { Layer } from './layer.ts';
import type { CallContext, Flow, Reserve, Shape } from './layer.ts';

export class Flatten extends Layer {
  readonly className = 'Flatten';

  constructor() {
    super(null);
  }

  getConfig(): Record<string, never> {
    return {};
  }

  build(inputShape: Shape): Shape {
    let n = 1;
    for (const d of inputShape) {
      if (d === null) throw new RangeError('Flatten: every input dimension must be known (give the Embedding an inputLength)');
      n *= d;
    }
    this.built = true;
    this.outShape = [n];
    return this.outShape;
  }

  override reserve(shape: readonly number[], _r: Reserve): number[] | null {
    return [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
  }

  async forward(input: Flow, _ctx: CallContext): Promise<Flow> {
    const B = input.shape[0];
    return { data: input.data, shape: [B, input.data.length / Math.max(B, 1)], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    return needInputGrad ? dOut : null;
  }
}
