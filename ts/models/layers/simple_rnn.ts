// Keras SimpleRNN(units, { returnSequences, recurrentDropout }): h_t = tanh(x_t·W_ihᵀ + h_{t-1}·W_hhᵀ + b).
// Parameters units·(input + units + 1), as Keras.
import {
  rnnBackward, rnnBackwardAsync, rnnCacheSize, rnnFoldEmbedding, rnnFoldEmbeddingAsync, rnnForward,
  rnnForwardAsync, rnnUnfoldGradient, rnnUnfoldGradientAsync,
} from '../../bindings/rnn.ts';
import { Recurrent } from './recurrent.ts';
import type { RecurrentKernels, RecurrentOptions } from './recurrent.ts';

export type SimpleRNNOptions = RecurrentOptions;

const kernels: RecurrentKernels = {
  gatesPerUnit: 1,
  cacheSize: rnnCacheSize,
  forward: rnnForward,
  forwardAsync: rnnForwardAsync,
  backward: rnnBackward,
  backwardAsync: rnnBackwardAsync,
  fold: rnnFoldEmbedding,
  foldAsync: rnnFoldEmbeddingAsync,
  unfold: rnnUnfoldGradient,
  unfoldAsync: rnnUnfoldGradientAsync,
};

export class SimpleRNN extends Recurrent {
  readonly className = 'SimpleRNN';
  protected readonly kernels = kernels;

  constructor(units: number, opts?: SimpleRNNOptions) {
    super('SimpleRNN', units, opts);
  }

  protected initialBias(): Float32Array {
    return new Float32Array(this.gates);
  }
}
