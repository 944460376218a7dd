// Sequential on the GPU (issue 9): which stacks the device-resident session (native/cuda/session.h)
// runs, the session's spec for a model, and the bridge between the model's layers (the truth
// outside fit) and the session's copy of the weights (the truth while a fit runs on the device).
// training.ts routes fit / evaluate / predict / trainOnBatch here when the model's device resolves
// to 'cuda' and the stack is supported; everything else stays on the CPU path, unchanged.
import { NativeSession } from '../bindings/session.ts';
import type { SessionBatch, SessionLayer, SessionOptimizer, SessionSpec } from '../bindings/session.ts';
import { Dense } from './layers/dense.ts';
import { Dropout } from './layers/dropout.ts';
import { Embedding } from './layers/embedding.ts';
import type { Flow, Layer } from './layers/layer.ts';
import { LSTM } from './layers/lstm.ts';
import { GlobalMaxPooling1D } from './layers/pooling.ts';
import { SimpleRNN } from './layers/simple_rnn.ts';
import type { Loss } from './losses.ts';
import { Adam, Nadam, RMSprop, SGD } from './optimizers.ts';
import type { Optimizer } from './optimizers.ts';

let backendOverride: 'host' | null = null;

/**
 * Test-only: sessions made from now on run on the host backend (the CUDA step's host emulation)
 * instead of the GPU, and a model's device 'cuda' or 'auto' takes the session path as if CUDA were
 * usable; null restores the default.
 */
export function _setSessionBackend(b: 'host' | null): void {
  backendOverride = b;
}

/** Whether sessions are being emulated on the host (test-only, _setSessionBackend). */
export function sessionEmulated(): boolean {
  return backendOverride !== null;
}

/** The session's spec for a built stack, or the reason it is not supported (naming the layer). */
export function sessionSpec(layers: readonly Layer[], loss: Loss | null, optimizer: Optimizer | null): SessionSpec | string {
  const out: SessionLayer[] = [];
  for (const [i, l] of layers.entries()) {
    if (l instanceof Embedding) {
      if (i !== 0) return `${l.name} (Embedding) after the first layer`;
      out.push({ kind: 'embedding', in: l.inputDim, units: l.outputDim });
    } else if (l instanceof LSTM || l instanceof SimpleRNN) {
      out.push({
        kind: l instanceof LSTM ? 'lstm' : 'rnn', in: l.inputDim, units: l.units,
        returnSequences: l.returnSequences, rate: l.recurrentDropout,
      });
    } else if (l instanceof GlobalMaxPooling1D) {
      out.push({ kind: 'maxpool', in: 0, units: 0 });
    } else if (l instanceof Dropout) {
      out.push({ kind: 'dropout', in: 0, units: 0, rate: l.rate });
    } else if (l instanceof Dense) {
      if (l.outputShape.length !== 1) return `${l.name} (Dense) over sequences`;
      out.push({ kind: 'dense', in: l.inputDim, units: l.units, activation: l.activation, useBias: l.useBias });
    } else {
      return `${l.name} (${l.className})`;
    }
  }
  if (out.length === 0) return 'a model without layers';
  // One output row per sample: the last recurrent layer's sequences must be pooled.
  let seq = true;
  for (const l of out) if (l.kind === 'lstm' || l.kind === 'rnn') seq = l.returnSequences ?? false; else if (l.kind === 'maxpool') seq = false;
  if (seq) return 'sequence outputs (a returnSequences layer without GlobalMaxPooling1D after it)';
  if (out[0].kind !== 'embedding' && out[0].kind !== 'lstm' && out[0].kind !== 'rnn') return `${layers[0].name} (${layers[0].className}) as the first layer`;
  const opt = optimizerSpec(optimizer);
  if (typeof opt === 'string') return opt;
  // Predict before compile: any loss the stack allows, never used.
  const l = loss ?? null;
  const spec: SessionSpec = {
    layers: out,
    loss: l ? l.name : 'mse',
    onLogits: l ? l.onLogits || l.outputsAreLogits : false,
    optimizer: opt,
  };
  if (spec.loss === 'binary_crossentropy' && !spec.onLogits) return 'binary_crossentropy on an output without a sigmoid';
  return spec;
}

function optimizerSpec(o: Optimizer | null): SessionOptimizer | string {
  if (o === null) return { name: 'sgd' };
  const clip = (c: { clipnorm?: number; globalClipnorm?: number; clipvalue?: number }) => ({
    clipnorm: c.clipnorm, globalClipnorm: c.globalClipnorm, clipvalue: c.clipvalue,
  });
  if (o instanceof Adam) return { name: 'adam', beta1: o.config.beta1, beta2: o.config.beta2, epsilon: o.config.epsilon, amsgrad: o.config.amsgrad, ...clip(o.config) };
  if (o instanceof Nadam) return { name: 'nadam', beta1: o.config.beta1, beta2: o.config.beta2, epsilon: o.config.epsilon, ...clip(o.config) };
  if (o instanceof RMSprop) {
    return { name: 'rmsprop', rho: o.config.rho, momentum: o.config.momentum, epsilon: o.config.epsilon, centered: o.config.centered, ...clip(o.config) };
  }
  if (o instanceof SGD) return { name: 'sgd', momentum: o.config.momentum, nesterov: o.config.nesterov, ...clip(o.config) };
  return `the optimizer '${o.name}' (a custom optimizer object)`;
}

/**
 * One model's session: made for one compile (loss and optimizer), holding the optimizer state
 * that the CPU optimizer object would otherwise hold. `ahead`: the session's weights are newer
 * than the layers' (a step ran); `behind`: the layers' are newer (setWeights, a CPU step).
 */
export class DeviceSession {
  readonly native: NativeSession;
  readonly loss: Loss | null;
  readonly optimizer: Optimizer | null;
  ahead = false;
  behind = true;
  private readonly flat: Float32Array;

  constructor(spec: SessionSpec, loss: Loss | null, optimizer: Optimizer | null) {
    this.native = new NativeSession(spec, backendOverride ?? 'cuda');
    this.loss = loss;
    this.optimizer = optimizer;
    this.flat = new Float32Array(this.native.weightCount);
  }

  /** The layers' weights into the session when they changed since it last had them. */
  async upload(layers: readonly Layer[]): Promise<void> {
    if (!this.behind) return;
    let at = 0;
    for (const w of layers.flatMap((l) => l.weights)) {
      this.flat.set(w.value, at);
      at += w.value.length;
    }
    await this.native.setWeights(this.flat);
    this.behind = false;
  }

  /** The session's weights into the layers when a step changed them (end of fit, epoch ends). */
  async download(layers: readonly Layer[]): Promise<boolean> {
    if (!this.ahead) return false;
    await this.native.getWeights(this.flat);
    let at = 0;
    for (const w of layers.flatMap((l) => l.weights)) {
      w.value.set(this.flat.subarray(at, at + w.value.length));
      at += w.value.length;
    }
    // The layers' derived copies (a recurrent layer's folded table) follow; the session stays current.
    for (const l of layers) l.weightsChanged();
    this.ahead = false;
    return true;
  }
}

/** A batch's flow as the session takes it. */
export function sessionBatch(f: Flow, targets: Float32Array | Int32Array | null): SessionBatch {
  return { batch: f.shape[0], time: f.shape[1], input: f.data, lengths: f.lengths, targets };
}
