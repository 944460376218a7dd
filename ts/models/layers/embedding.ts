// Keras Embedding(inputDim, outputDim): token ids [batch, time] -> vectors [batch, time, outputDim].
// When a recurrent layer follows, Sequential folds the table into that layer's input projection
// ("gather mode"): this layer then passes the ids through and the recurrent layer writes its grads.
import { embeddingBackward, embeddingBackwardAsync, embeddingForward, embeddingForwardAsync } from '../../bindings/embedding.ts';
import { uniform } from '../initializers.ts';
import { ASYNC_WORK, Buffers, Layer, options, positiveInt } from './layer.ts';
import type { CallContext, Flow, Reserve, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

export interface EmbeddingOptions {
  /** Treat id 0 as padding: sequences without explicit lengths get length = time - leading zeros. */
  maskZero?: boolean;
  /** Keras' input_length: the time axis, when known. */
  inputLength?: number;
}

const OPTIONS = optionNames<EmbeddingOptions>()(['maskZero', 'inputLength']);

/** Embedding's constructor arguments as plain JSON (getConfig). */
export type EmbeddingConfig = { inputDim: number; outputDim: number; maskZero: boolean; inputLength: number | null };

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  /** Set by Sequential when the next layer gathers from the folded table. */
  folded = false;
  embeddings: Float32Array = new Float32Array(0);
  private readonly buffers = new Buffers();
  private ids: Int32Array | null = null;

  constructor(inputDim: number, outputDim: number, opts?: EmbeddingOptions) {
    const o = options<EmbeddingOptions>('Embedding', opts, OPTIONS);
    const len = o.inputLength === undefined ? null : positiveInt('Embedding', 'inputLength', o.inputLength);
    super([len]);
    this.inputDim = positiveInt('Embedding', 'inputDim', inputDim, 1 << 22);
    this.outputDim = positiveInt('Embedding', 'outputDim', outputDim, 1 << 14);
    this.maskZero = o.maskZero ?? false;
  }

  getConfig(): EmbeddingConfig {
    return { inputDim: this.inputDim, outputDim: this.outputDim, maskZero: this.maskZero, inputLength: this.inputShape?.[0] ?? null };
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    if (inputShape.length !== 1) {
      throw new RangeError(`Embedding: input must be token ids [batch, time], got shape [batch, ${inputShape.join(', ')}]`);
    }
    this.weightList = [];
    // Keras' default embeddings_initializer: uniform(-0.05, 0.05).
    const init = uniform(this.inputDim * this.outputDim, -0.05, 0.05, seed, streamBase);
    this.embeddings = this.weight('embeddings', init, [this.inputDim, this.outputDim]);
    this.built = true;
    this.outShape = [inputShape[0], this.outputDim];
    return this.outShape;
  }

  override reserve(shape: readonly number[], _r: Reserve): number[] | null {
    const [B, T] = shape;
    if (this.folded) return [B, T];
    this.buffers.reserve('out', B * T * this.outputDim);
    return [B, T, this.outputDim];
  }

  async forward(input: Flow, _ctx: CallContext): Promise<Flow> {
    const ids = input.data;
    if (!(ids instanceof Int32Array)) throw new TypeError('Embedding: input must be Int32Array token ids');
    const [B, T] = input.shape;
    let lengths = input.lengths;
    if (!lengths && this.maskZero) {
      lengths = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        let lead = 0;
        while (lead < T && ids[b * T + lead] === 0) lead++;
        lengths[b] = T - lead;
      }
    }
    if (this.folded) return { data: ids, shape: input.shape, lengths };
    this.ids = ids;
    const N = B * T, V = this.inputDim, E = this.outputDim;
    const out = this.buffers.get('out', N * E);
    if (N * E > ASYNC_WORK) await embeddingForwardAsync(V, E, N, ids, this.embeddings, out);
    else embeddingForward(V, E, N, ids, this.embeddings, out);
    return { data: out, shape: [B, T, E], lengths };
  }

  async backward(dOut: Float32Array, _needInputGrad: boolean): Promise<Float32Array | null> {
    if (this.folded) return null; // the recurrent layer wrote the embeddings' gradient
    const ids = this.ids as Int32Array;
    const V = this.inputDim, E = this.outputDim, N = ids.length;
    const grad = this.weightList[0].grad;
    if (N * E > ASYNC_WORK) await embeddingBackwardAsync(V, E, N, ids, dOut, grad);
    else embeddingBackward(V, E, N, ids, dOut, grad);
    return null;
  }
}
