// Keras Dense(units, { activation, useBias }) over the last axis (a [batch, time, features] input
// is applied step by step, as Keras does). Kernel in PyTorch layout [units, input].
import { denseBackward, denseBackwardAsync, denseForward, denseForwardAsync } from '../../bindings/dense.ts';
import { softmaxBackward, softmaxForward } from '../../bindings/activation.ts';
import { activate, activateBackward } from './activate.ts';
import { glorotUniform } from '../initializers.ts';
import { ASYNC_WORK, Buffers, Layer, options, positiveInt } from './layer.ts';
import type { CallContext, Flow, Reserve, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

/** Dense's constructor options as plain JSON (getConfig). */
export type DenseConfig = { units: number; activation: Activation; useBias: boolean; inputShape: Shape | null };

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
const ACTIVATIONS: readonly string[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

export interface DenseOptions {
  activation?: Activation | null;
  useBias?: boolean;
  inputShape?: Shape;
}

const OPTIONS = optionNames<DenseOptions>()(['activation', 'useBias', 'inputShape']);

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  inputDim = 0;
  kernel: Float32Array = new Float32Array(0);
  bias: Float32Array | null = null;
  private readonly buffers = new Buffers();
  private saved: { x: Float32Array; y: Float32Array; N: number } | null = null;
  /** Pre-activation output of the last forward (the logits the cross-entropy losses read). */
  logits: Float32Array = new Float32Array(0);

  constructor(units: number, opts?: DenseOptions) {
    const o = options<DenseOptions>('Dense', opts, OPTIONS);
    super(o.inputShape ?? null);
    this.units = positiveInt('Dense', 'units', units, 1 << 16);
    const act = o.activation ?? 'linear';
    if (typeof act !== 'string') throw new TypeError(`Dense: activation must be a string, got ${typeof act}`);
    if (!ACTIVATIONS.includes(act)) throw new RangeError(`Dense: activation must be one of ${ACTIVATIONS.join(', ')}, got '${act}'`);
    this.activation = act as Activation;
    this.useBias = o.useBias ?? true;
  }

  getConfig(): DenseConfig {
    return { units: this.units, activation: this.activation, useBias: this.useBias, inputShape: this.inputShape ? [...this.inputShape] : null };
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    const I = inputShape[inputShape.length - 1];
    if (inputShape.length === 0 || typeof I !== 'number') {
      throw new RangeError(`Dense: the last dimension of the input must be known, got [batch, ${inputShape.join(', ')}]`);
    }
    this.inputDim = I;
    this.weightList = [];
    this.kernel = this.weight('kernel', glorotUniform(I, this.units, seed, streamBase), [this.units, I]);
    this.bias = this.useBias ? this.weight('bias', new Float32Array(this.units), [this.units]) : null;
    this.built = true;
    this.outShape = [...inputShape.slice(0, -1), this.units];
    return this.outShape;
  }

  override reserve(shape: readonly number[], r: Reserve): number[] | null {
    const U = this.units;
    const N = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    this.buffers.reserve('z', N * U);
    if (this.activation !== 'linear') {
      this.buffers.reserve('y', N * U);
      if (r.training) this.buffers.reserve('dZ', N * U);
    }
    if (r.training && r.inputGrad) this.buffers.reserve('dX', N * this.inputDim);
    return [...shape.slice(0, -1), U];
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const x = input.data;
    if (!(x instanceof Float32Array)) throw new TypeError('Dense: input must be a Float32Array');
    const I = this.inputDim, U = this.units, N = x.length / I;
    // The model's result takes the output when given (CallContext.out); logits stay in z.
    const into = ctx.out?.length === N * U ? ctx.out : null;
    const z = into && this.activation === 'linear' ? into : this.buffers.get('z', N * U);
    if (N * I * U > ASYNC_WORK) await denseForwardAsync(N, I, U, x, this.kernel, this.bias, z);
    else denseForward(N, I, U, x, this.kernel, this.bias, z);
    this.logits = z;
    let y = z;
    if (this.activation === 'softmax') {
      y = into ?? this.buffers.get('y', N * U);
      softmaxForward(N, U, z, y);
    } else if (this.activation !== 'linear') {
      y = into ?? this.buffers.get('y', N * U);
      await activate(this.activation, N * U, z, y);
    }
    if (ctx.training) this.saved = { x, y, N };
    return { data: y, shape: [...input.shape.slice(0, -1), U], lengths: input.lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved as NonNullable<typeof this.saved>;
    const U = this.units, n = s.N * U;
    let dZ = dOut;
    if (this.activation === 'softmax') {
      dZ = this.buffers.get('dZ', n);
      softmaxBackward(s.N, U, s.y, dOut, dZ);
    } else if (this.activation !== 'linear') {
      dZ = this.buffers.get('dZ', n);
      await activateBackward(this.activation, n, s.y, dOut, dZ);
    }
    return this.backwardFromLogits(dZ, needInputGrad);
  }

  /** Backward from the gradient w.r.t. the pre-activation output (the losses' from-logits path). */
  async backwardFromLogits(dZ: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved as NonNullable<typeof this.saved>;
    this.saved = null;
    const I = this.inputDim, U = this.units;
    const dX = needInputGrad ? this.buffers.get('dX', s.N * I) : null;
    const db = this.bias ? this.weightList[1].grad : null;
    const dW = this.weightList[0].grad;
    if (s.N * I * U > ASYNC_WORK) await denseBackwardAsync(s.N, I, U, s.x, this.kernel, dZ, dX, dW, db);
    else denseBackward(s.N, I, U, s.x, this.kernel, dZ, dX, dW, db);
    return dX;
  }
}
