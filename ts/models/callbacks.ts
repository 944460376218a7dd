// fit()'s callbacks (Keras names): hooks per epoch and batch, and EarlyStopping with best-weights
// restore. A callback may stop training by setting `model.stopTraining = true`.

/** One epoch's results; metrics keyed by their compile() names (e.g. { accuracy }). */
export interface EpochLogs {
  loss: number;
  metrics: Record<string, number>;
  /** Present when fit has validation data. */
  valLoss?: number;
  valMetrics?: Record<string, number>;
  seconds: number;
}

export interface BatchLogs {
  /** Mean loss of this batch (before the update). */
  loss: number;
  size: number;
}

/** What a callback may use of the model. */
export interface CallbackModel {
  stopTraining: boolean;
  getWeights(): Float32Array[];
  setWeights(weights: readonly Float32Array[]): void;
}

export interface Callback {
  onTrainBegin?(model: CallbackModel): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs, model: CallbackModel): void | Promise<void>;
  onBatchEnd?(batch: number, logs: BatchLogs, model: CallbackModel): void | Promise<void>;
  onTrainEnd?(model: CallbackModel): void | Promise<void>;
}

export interface EarlyStoppingOptions {
  /** 'val_loss' (default), 'loss', 'val_<metric>' or '<metric>', as in Keras' logs. */
  monitor?: string;
  minDelta?: number;
  patience?: number;
  /** 'auto' (default): 'max' for accuracy-like names, else 'min'. */
  mode?: 'auto' | 'min' | 'max';
  baseline?: number | null;
  restoreBestWeights?: boolean;
}

/** The value named `monitor` in an epoch's logs (undefined when absent). */
export function monitored(logs: EpochLogs, monitor: string): number | undefined {
  if (monitor === 'loss') return logs.loss;
  if (monitor === 'val_loss') return logs.valLoss;
  if (monitor.startsWith('val_')) return logs.valMetrics?.[monitor.slice(4)];
  return logs.metrics[monitor];
}

/**
 * Keras 3 EarlyStopping: stops after `patience` epochs without an improvement larger than
 * `minDelta`; with restoreBestWeights, the model ends training (stopped or not) with the weights
 * of its best epoch.
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  readonly baseline: number | null;
  private readonly sign: number;
  wait = 0;
  best = Infinity;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private bestWeights: Float32Array[] | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('EarlyStopping: options must be an object');
    this.monitor = opts.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string') throw new TypeError('EarlyStopping: monitor must be a string');
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.patience = opts.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new RangeError(`EarlyStopping: patience must be a non-negative integer, got ${this.patience}`);
    }
    const mode = opts.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw new RangeError(`EarlyStopping: mode must be auto, min or max, got '${mode}'`);
    const max = mode === 'max' || (mode === 'auto' && /acc|auc/.test(this.monitor));
    this.sign = max ? -1 : 1;
    this.baseline = opts.baseline ?? null;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
  }

  // Values are compared as sign·value so that smaller is always better.
  private improves(v: number, ref: number): boolean {
    return this.sign * v < ref - this.minDelta;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.best = Infinity;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: EpochLogs, model: CallbackModel): void {
    const v = monitored(logs, this.monitor);
    if (v === undefined) {
      throw new RangeError(`EarlyStopping: monitor '${this.monitor}' is not in the epoch logs (validation data needed for val_*)`);
    }
    this.wait += 1;
    if (this.improves(v, this.best)) {
      this.best = this.sign * v;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      if (this.baseline === null || this.improves(v, this.sign * this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(model: CallbackModel): void {
    if (this.restoreBestWeights && this.bestWeights) model.setWeights(this.bestWeights);
  }
}
