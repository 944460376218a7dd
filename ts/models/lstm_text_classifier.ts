// Embedding -> LSTM -> Dense(1, sigmoid): the char-level sequence classifier of the source
// material (phishing URLs, web-request breaches), trained with binary cross-entropy and Adam.
// The Embedding folds into the LSTM's input projection (table [V, 4H] = Emb · W_ihᵀ + b), so the
// per-step input work is a row gather and the embedding's gradient comes from the table's.
import { lstmBackwardAsync, lstmCacheSize, lstmFoldEmbedding, lstmForwardAsync, lstmUnfoldGradient } from '../bindings/lstm.ts';
import type { Padding } from '../bindings/lstm.ts';
import { denseBackward, denseForward } from '../bindings/dense.ts';
import { activationForward } from '../bindings/activation.ts';
import { binaryCrossentropyLogits } from '../bindings/loss.ts';
import { ADAM_DEFAULTS, adamState, adamStep } from '../bindings/optimizer.ts';
import type { AdamOptions, AdamState } from '../bindings/optimizer.ts';
import { glorotUniform, orthogonal, uniform } from './initializers.ts';

export interface LstmTextClassifierOptions {
  /** Token ids are in [0, vocabSize); 0 is the padding id by convention. */
  vocabSize: number;
  /** Embedding width (default 32). */
  embeddingDim?: number;
  /** LSTM units (default 64). */
  units?: number;
  /** Seed of the weight initialisers (default 0). */
  seed?: number;
  /** Adam's hyper-parameters (Keras defaults). */
  optimizer?: Partial<AdamOptions>;
}

/** A batch of token sequences: ids [batch, time] row-major, optionally with valid lengths. */
export interface TokenBatch {
  tokens: Int32Array;
  batch: number;
  time: number;
  /** Valid steps per sequence; padded steps are skipped (default: all `time`). */
  lengths?: Int32Array;
  /** Side the padding is on (default 'pre', as Keras' pad_sequences). */
  padding?: Padding;
}

interface Workspace {
  cache: Float32Array;
  hLast: Float32Array;
  logits: Float32Array;
  dLogits: Float32Array;
  dH: Float32Array;
}

function checkBatch(fn: string, b: TokenBatch): void {
  if (!Number.isInteger(b.batch) || b.batch < 1) throw new RangeError(`${fn}: batch must be a positive integer, got ${b.batch}`);
  if (!Number.isInteger(b.time) || b.time < 1) throw new RangeError(`${fn}: time must be a positive integer, got ${b.time}`);
  if (!(b.tokens instanceof Int32Array)) throw new TypeError(`${fn}: tokens must be an Int32Array`);
}

export class LstmTextClassifier {
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly units: number;
  /** Parameters in PyTorch layouts: embedding [V, E], wIh [4H, E], wHh [4H, H], bias [4H], denseW [1, H], denseB [1]. */
  readonly params: {
    embedding: Float32Array;
    wIh: Float32Array;
    wHh: Float32Array;
    bias: Float32Array;
    denseW: Float32Array;
    denseB: Float32Array;
  };
  private readonly grads: LstmTextClassifier['params'];
  private readonly adam: Record<keyof LstmTextClassifier['params'], AdamState>;
  private readonly adamOptions: AdamOptions;
  private readonly table: Float32Array;
  private readonly dTable: Float32Array;
  private tableStale = true;
  private step = 0;
  private readonly workspaces = new Map<string, Workspace>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: LstmTextClassifierOptions) {
    const { vocabSize, embeddingDim = 32, units = 64, seed = 0 } = opts;
    // Caps far above any char/word model, low enough that every weight array stays allocatable.
    const limits = [['vocabSize', vocabSize, 1 << 22], ['embeddingDim', embeddingDim, 1 << 13], ['units', units, 1 << 13]] as const;
    for (const [name, v, max] of limits) {
      if (typeof v !== 'number') throw new TypeError(`LstmTextClassifier: ${name} must be a number, got ${typeof v}`);
      if (!Number.isInteger(v) || v < 1 || v > max) {
        throw new RangeError(`LstmTextClassifier: ${name} must be an integer in [1, ${max}], got ${v}`);
      }
    }
    this.vocabSize = vocabSize;
    this.embeddingDim = embeddingDim;
    this.units = units;
    const V = vocabSize, E = embeddingDim, H = units, G = 4 * H;
    // Keras defaults: Embedding U(-0.05, 0.05); kernel Glorot uniform; recurrent kernel orthogonal
    // (Keras' [H, 4H] with orthonormal rows is our [4H, H] with orthonormal columns); bias 0 with
    // unit_forget_bias (the f block, second in i, f, g, o, starts at 1); Dense Glorot, bias 0.
    const bias = new Float32Array(G);
    bias.fill(1, H, 2 * H);
    this.params = {
      embedding: uniform(V * E, -0.05, 0.05, seed, 1),
      wIh: glorotUniform(E, G, seed, 2),
      wHh: orthogonal(G, H, seed, 3),
      bias,
      denseW: glorotUniform(H, 1, seed, 4),
      denseB: new Float32Array(1),
    };
    const zerosLike = (p: Float32Array) => new Float32Array(p.length);
    const p = this.params;
    this.grads = {
      embedding: zerosLike(p.embedding), wIh: zerosLike(p.wIh), wHh: zerosLike(p.wHh),
      bias: zerosLike(p.bias), denseW: zerosLike(p.denseW), denseB: zerosLike(p.denseB),
    };
    this.adam = {
      embedding: adamState(p.embedding.length), wIh: adamState(p.wIh.length), wHh: adamState(p.wHh.length),
      bias: adamState(p.bias.length), denseW: adamState(p.denseW.length), denseB: adamState(p.denseB.length),
    };
    this.adamOptions = { ...ADAM_DEFAULTS, ...opts.optimizer };
    this.table = new Float32Array(V * G);
    this.dTable = new Float32Array(V * G);
  }

  /** Trainable parameters, counted as Keras' summary() does. */
  parameterCount(): number {
    return Object.values(this.params).reduce((n, p) => n + p.length, 0);
  }

  private workspace(batch: number, time: number): Workspace {
    const key = `${batch}x${time}`;
    let ws = this.workspaces.get(key);
    if (!ws) {
      const H = this.units;
      ws = {
        cache: new Float32Array(lstmCacheSize(batch, time, H)),
        hLast: new Float32Array(batch * H),
        logits: new Float32Array(batch),
        dLogits: new Float32Array(batch),
        dH: new Float32Array(batch * H),
      };
      // Keep the two most recent shapes (a training batch size and the last, shorter batch).
      if (this.workspaces.size >= 2) this.workspaces.delete(this.workspaces.keys().next().value as string);
      this.workspaces.set(key, ws);
    }
    return ws;
  }

  // Calls share the workspaces and the weights: overlapping ones (Promise.all over predictions,
  // a prediction during training) run one after another, in call order.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private foldTable(): void {
    if (!this.tableStale) return;
    const p = this.params;
    lstmFoldEmbedding(this.vocabSize, this.embeddingDim, this.units, p.embedding, p.wIh, p.bias, this.table);
    this.tableStale = false;
  }

  /** Probabilities of class 1, one per sequence. Runs off the event loop. */
  async predict(b: TokenBatch): Promise<Float32Array> {
    checkBatch('predict', b);
    return this.exclusive(() => this.predictNow(b));
  }

  private async predictNow(b: TokenBatch): Promise<Float32Array> {
    const ws = this.workspace(b.batch, b.time);
    await this.forward(b, ws, false);
    const probs = new Float32Array(b.batch);
    activationForward('sigmoid', b.batch, ws.logits, probs);
    return probs;
  }

  private async forward(b: TokenBatch, ws: Workspace, training: boolean): Promise<void> {
    this.foldTable();
    const p = this.params;
    await lstmForwardAsync({
      batch: b.batch, time: b.time, hidden: this.units, tokens: b.tokens, table: this.table, vocab: this.vocabSize,
      wHh: p.wHh, lengths: b.lengths, padding: b.padding, training, cache: training ? ws.cache : null, hLast: ws.hLast,
    });
    denseForward(b.batch, this.units, 1, ws.hLast, p.denseW, p.denseB, ws.logits);
  }

  /**
   * One step of forward, backward and Adam on a batch with labels in {0, 1} (or soft targets in
   * [0, 1]); returns the mean binary cross-entropy before the update.
   */
  async trainStep(b: TokenBatch, labels: Float32Array): Promise<number> {
    checkBatch('trainStep', b);
    return this.exclusive(() => this.trainStepNow(b, labels));
  }

  private async trainStepNow(b: TokenBatch, labels: Float32Array): Promise<number> {
    const ws = this.workspace(b.batch, b.time);
    const p = this.params, g = this.grads, H = this.units;
    await this.forward(b, ws, true);
    const loss = binaryCrossentropyLogits(b.batch, 1, ws.logits, labels, null, ws.dLogits);
    denseBackward(b.batch, H, 1, ws.hLast, p.denseW, ws.dLogits, ws.dH, g.denseW, g.denseB);
    await lstmBackwardAsync({
      batch: b.batch, time: b.time, hidden: H, tokens: b.tokens, vocab: this.vocabSize, wHh: p.wHh,
      lengths: b.lengths, padding: b.padding, cache: ws.cache, dHlast: ws.dH, dTable: this.dTable, dWHh: g.wHh,
    });
    lstmUnfoldGradient(this.vocabSize, this.embeddingDim, H, p.embedding, p.wIh, this.dTable, g.embedding, g.wIh, g.bias);
    this.step += 1;
    for (const name of Object.keys(p) as (keyof typeof p)[]) {
      adamStep(this.step, p[name], g[name], this.adam[name], this.adamOptions);
    }
    this.tableStale = true;
    return loss;
  }
}
