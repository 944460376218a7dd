// fit()'s callbacks (Keras names): hooks per epoch and batch, EarlyStopping with best-weights
// restore, ReduceLROnPlateau and LearningRateScheduler. A callback may stop training by setting
// `model.stopTraining = true` and change the step size through `model.optimizer.learningRate`.
import { knownOptions, optionNames } from './options.ts';

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
  /** The compiled optimizer (null before compile()). */
  readonly optimizer: { learningRate: number } | null;
  getWeights(): Float32Array[];
  setWeights(weights: readonly Float32Array[]): void;
}

export interface Callback {
  onTrainBegin?(model: CallbackModel): void | Promise<void>;
  /** Before the epoch's first batch (and its shuffle is irrelevant to it). */
  onEpochBegin?(epoch: number, model: CallbackModel): void | Promise<void>;
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

const EARLY_STOPPING_OPTIONS = optionNames<EarlyStoppingOptions>()(['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights']);

/** The value named `monitor` in an epoch's logs (undefined when absent). */
export function monitored(logs: EpochLogs, monitor: string): number | undefined {
  if (monitor === 'loss') return logs.loss;
  if (monitor === 'val_loss') return logs.valLoss;
  if (monitor.startsWith('val_')) return logs.valMetrics?.[monitor.slice(4)];
  return logs.metrics[monitor];
}

/** Monitor values compared as sign * value so that smaller is always better ('auto': max for accuracy-like names). */
function monitorSign(fn: string, monitor: string, mode: unknown): number {
  if (!['auto', 'min', 'max'].includes(mode as string)) throw new RangeError(`${fn}: mode must be auto, min or max, got '${String(mode)}'`);
  return mode === 'max' || (mode === 'auto' && /acc|auc/.test(monitor)) ? -1 : 1;
}

function monitorOf(fn: string, logs: EpochLogs, monitor: string): number {
  const v = monitored(logs, monitor);
  if (v === undefined) throw new RangeError(`${fn}: monitor '${monitor}' is not in the epoch logs (validation data needed for val_*)`);
  return v;
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
    knownOptions('EarlyStopping', opts, EARLY_STOPPING_OPTIONS);
    this.monitor = opts.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string') throw new TypeError('EarlyStopping: monitor must be a string');
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.patience = opts.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new RangeError(`EarlyStopping: patience must be a non-negative integer, got ${this.patience}`);
    }
    this.sign = monitorSign('EarlyStopping', this.monitor, opts.mode ?? 'auto');
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
    const v = monitorOf('EarlyStopping', logs, this.monitor);
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

export interface ReduceLROnPlateauOptions {
  /** As EarlyStopping's monitor; default 'val_loss'. */
  monitor?: string;
  /** The learning rate is multiplied by this (in (0, 1)); default 0.1. */
  factor?: number;
  /** Epochs without improvement before a reduction; default 10. */
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  /** Improvements smaller than this do not count; default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again; default 0. */
  cooldown?: number;
  /** The learning rate never goes below this; default 0. */
  minLr?: number;
}

const REDUCE_LR_OPTIONS = optionNames<ReduceLROnPlateauOptions>()(['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr']);

/**
 * Keras' ReduceLROnPlateau: when the monitored value has not improved by minDelta for `patience`
 * epochs, the optimizer's learning rate becomes max(lr * factor, minLr); after a reduction,
 * `cooldown` epochs pass before the count restarts.
 */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  private readonly sign: number;
  wait = 0;
  best = Infinity;
  cooldownCounter = 0;
  /** (epoch, new learning rate) of each reduction in the last fit. */
  reductions: Array<{ epoch: number; learningRate: number }> = [];

  constructor(opts: ReduceLROnPlateauOptions = {}) {
    const fn = 'ReduceLROnPlateau';
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${fn}: options must be an object`);
    knownOptions(fn, opts, REDUCE_LR_OPTIONS);
    this.monitor = opts.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string') throw new TypeError(`${fn}: monitor must be a string`);
    this.factor = opts.factor ?? 0.1;
    if (typeof this.factor !== 'number' || !(this.factor > 0 && this.factor < 1)) {
      throw new RangeError(`${fn}: factor must be a number in (0, 1), got ${this.factor}`);
    }
    const count = (name: string, v: unknown): number => {
      if (!Number.isInteger(v) || (v as number) < 0) throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${String(v)}`);
      return v as number;
    };
    this.patience = count('patience', opts.patience ?? 10);
    this.cooldown = count('cooldown', opts.cooldown ?? 0);
    this.minDelta = Math.abs(opts.minDelta ?? 1e-4);
    this.minLr = opts.minLr ?? 0;
    if (typeof this.minLr !== 'number' || !(this.minLr >= 0 && Number.isFinite(this.minLr))) {
      throw new RangeError(`${fn}: minLr must be a non-negative finite number, got ${this.minLr}`);
    }
    this.sign = monitorSign(fn, this.monitor, opts.mode ?? 'auto');
  }

  onTrainBegin(model: CallbackModel): void {
    if (!model.optimizer) throw new TypeError('ReduceLROnPlateau: the model has no optimizer (compile it first)');
    this.wait = 0;
    this.best = Infinity;
    this.cooldownCounter = 0;
    this.reductions = [];
  }

  onEpochEnd(epoch: number, logs: EpochLogs, model: CallbackModel): void {
    const v = this.sign * monitorOf('ReduceLROnPlateau', logs, this.monitor);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (v < this.best - this.minDelta) {
      this.best = v;
      this.wait = 0;
    } else if (this.cooldownCounter === 0) {
      this.wait += 1;
      const opt = model.optimizer as { learningRate: number };
      if (this.wait >= this.patience && opt.learningRate > this.minLr) {
        opt.learningRate = Math.max(opt.learningRate * this.factor, this.minLr);
        this.reductions.push({ epoch, learningRate: opt.learningRate });
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

/** An epoch's learning rate from its index (from 0) and the current rate, as Keras' schedule(epoch, lr). */
export type LearningRateSchedule = (epoch: number, learningRate: number) => number;

/**
 * Keras' LearningRateScheduler: before each epoch the optimizer's learning rate becomes
 * schedule(epoch, current rate). A schedule that returns anything but a positive finite number
 * stops fit with a RangeError naming the epoch. E.g. a cosine decay over E epochs from lr0:
 * `(e) => lr0 * 0.5 * (1 + Math.cos(Math.PI * e / E))`.
 */
export class LearningRateScheduler implements Callback {
  readonly schedule: LearningRateSchedule;
  /** The rate each epoch of the last fit started with. */
  rates: number[] = [];

  constructor(schedule: LearningRateSchedule) {
    if (typeof schedule !== 'function') throw new TypeError('LearningRateScheduler: schedule must be a function (epoch, learningRate) => number');
    this.schedule = schedule;
  }

  onTrainBegin(model: CallbackModel): void {
    if (!model.optimizer) throw new TypeError('LearningRateScheduler: the model has no optimizer (compile it first)');
    this.rates = [];
  }

  onEpochBegin(epoch: number, model: CallbackModel): void {
    const opt = model.optimizer as { learningRate: number };
    const lr = this.schedule(epoch, opt.learningRate);
    if (typeof lr !== 'number' || !(lr > 0 && Number.isFinite(lr))) {
      throw new RangeError(`LearningRateScheduler: schedule returned ${String(lr)} for epoch ${epoch}; it must return a positive finite learning rate`);
    }
    opt.learningRate = lr;
    this.rates.push(lr);
  }
}
