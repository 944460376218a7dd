// Keras LSTM(units, { returnSequences, recurrentDropout }): tanh cell, sigmoid gates, gate order
// i, f, g, o (Keras' i, f, c, o), unit_forget_bias. Parameters 4·units·(input + units + 1), as Keras.
import {
  lstmBackward, lstmBackwardAsync, lstmCacheSize, lstmFoldEmbedding, lstmFoldEmbeddingAsync, lstmForward,
  lstmForwardAsync, lstmUnfoldGradient, lstmUnfoldGradientAsync,
} from '../../bindings/lstm.ts';
import { Recurrent } from './recurrent.ts';
import type { RecurrentKernels, RecurrentOptions } from './recurrent.ts';

export type LSTMOptions = RecurrentOptions;

const kernels: RecurrentKernels = {
  gatesPerUnit: 4,
  cacheSize: lstmCacheSize,
  forward: lstmForward,
  forwardAsync: lstmForwardAsync,
  backward: lstmBackward,
  backwardAsync: lstmBackwardAsync,
  fold: lstmFoldEmbedding,
  foldAsync: lstmFoldEmbeddingAsync,
  unfold: lstmUnfoldGradient,
  unfoldAsync: lstmUnfoldGradientAsync,
};

export class LSTM extends Recurrent {
  readonly className = 'LSTM';
  protected readonly kernels = kernels;

  constructor(units: number, opts?: LSTMOptions) {
    super('LSTM', units, opts);
  }

  protected initialBias(): Float32Array {
    const b = new Float32Array(this.gates);
    b.fill(1, this.units, 2 * this.units);
    return b;
  }
}
