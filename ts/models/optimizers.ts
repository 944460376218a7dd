// Keras-named optimizers over the in-place kernels of ts/bindings/optimizer.ts. One instance keeps
// the state (moments, step count) of one model's parameters; compile() makes one from a name.
// Every optimizer takes Keras' gradient clipping options (see ClipOptions).
import {
  ADAM_DEFAULTS, NADAM_DEFAULTS, RMSPROP_DEFAULTS, SGD_DEFAULTS, adamState, adamStep, adamStepAsync, nadamState,
  nadamStep, nadamStepAsync, rmspropState, rmspropStep, rmspropStepAsync, sgdState, sgdStep, sgdStepAsync,
} from '../bindings/optimizer.ts';
import type { AdamOptions, NadamOptions, RmspropOptions, SgdOptions } from '../bindings/optimizer.ts';
import { ASYNC_WORK } from './layers/layer.ts';
import { knownOptions } from './options.ts';

export interface Optimizer {
  readonly name: string;
  /** The step size; callbacks such as ReduceLROnPlateau change it between steps. */
  learningRate: number;
  /** Steps taken so far. */
  readonly iterations: number;
  /** One update of every parameter from its gradient (same order on every call). */
  apply(params: readonly Float32Array[], grads: readonly Float32Array[]): Promise<void>;
  /** Forgets the state (moments, step count), as a fresh optimizer: a model moving between devices calls it. */
  reset?(): void;
}

/**
 * Keras' gradient clipping, applied to the gradients before the update rule (at most one of the
 * three, as Keras 3 requires):
 * - clipnorm: each parameter's gradient is scaled to an L2 norm of at most clipnorm;
 * - globalClipnorm: all gradients are scaled by one factor so that their joint L2 norm is at most
 *   globalClipnorm (keeps the direction of the whole step; the usual cure for exploding LSTM
 *   gradients);
 * - clipvalue: each element is clamped to [-clipvalue, clipvalue].
 * The caller's gradient arrays are left unchanged. Norms are summed in float64 in a fixed order, so
 * a step is deterministic.
 */
export interface ClipOptions {
  clipnorm?: number;
  globalClipnorm?: number;
  clipvalue?: number;
}

const CLIP_KEYS = ['clipnorm', 'globalClipnorm', 'clipvalue'] as const;

function checkClip(fn: string, o: ClipOptions): void {
  const set = CLIP_KEYS.filter((k) => o[k] !== undefined && o[k] !== null);
  for (const k of set) {
    const v = o[k];
    if (typeof v !== 'number') throw new TypeError(`${fn}: ${k} must be a number, got ${typeof v}`);
    if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${fn}: ${k} must be a positive finite number, got ${v}`);
  }
  if (set.length > 1) throw new RangeError(`${fn}: only one of clipnorm, globalClipnorm and clipvalue can be set, got ${set.join(', ')}`);
}

/** Sum of squares in float64, in index order. */
function sumSquares(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}

function scaleInto(out: Float32Array, g: Float32Array, k: number): void {
  for (let i = 0; i < g.length; i++) out[i] = g[i] * k;
}

abstract class Base<S, O extends { learningRate: number }> implements Optimizer {
  abstract readonly name: string;
  readonly config: Readonly<O & ClipOptions>;
  iterations = 0;
  #lr: number;
  private states: S[] = [];
  private clipped: Float32Array[] = [];

  constructor(defaults: O, opts: Partial<O & ClipOptions> | undefined, fn: string) {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) throw new TypeError(`${fn}: options must be an object`);
    // The defaults name every setting of the update rule (they are a complete O).
    knownOptions(fn, opts, [...Object.keys(defaults), ...CLIP_KEYS]);
    // Unset clipping options stay out of the config (and out of saved model files).
    const given = Object.fromEntries(Object.entries(opts ?? {}).filter(([, v]) => v !== undefined && v !== null));
    this.config = Object.freeze({ ...defaults, ...given }) as Readonly<O & ClipOptions>;
    const lr = this.config.learningRate;
    if (typeof lr !== 'number') throw new TypeError(`${fn}: learningRate must be a number, got ${typeof lr}`);
    if (!(lr > 0 && Number.isFinite(lr))) throw new RangeError(`${fn}: learningRate must be a positive finite number, got ${lr}`);
    checkClip(fn, this.config);
    this.#lr = lr;
  }

  /** The gradients after clipping: the inputs themselves when no clipping is set. */
  protected clip(grads: readonly Float32Array[]): readonly Float32Array[] {
    const { clipnorm, globalClipnorm, clipvalue } = this.config;
    if (clipnorm === undefined && globalClipnorm === undefined && clipvalue === undefined) return grads;
    if (this.clipped.length !== grads.length || grads.some((g, i) => g.length !== this.clipped[i].length)) {
      this.clipped = grads.map((g) => new Float32Array(g.length));
    }
    const out = this.clipped;
    if (clipvalue !== undefined) {
      grads.forEach((g, i) => {
        const o = out[i];
        // NaN passes through, as in Keras' clip.
        for (let j = 0; j < g.length; j++) o[j] = g[j] > clipvalue ? clipvalue : g[j] < -clipvalue ? -clipvalue : g[j];
      });
    } else if (clipnorm !== undefined) {
      // Keras' clip_by_norm: g * c / max(||g||, c).
      grads.forEach((g, i) => scaleInto(out[i], g, clipnorm / Math.max(Math.sqrt(sumSquares(g)), clipnorm)));
    } else {
      const c = globalClipnorm as number;
      let total = 0;
      for (const g of grads) total += sumSquares(g);
      // A non-finite norm makes a non-finite scale, as in tf.clip_by_global_norm: the step shows the problem.
      const norm = Math.sqrt(total);
      const k = Number.isFinite(norm) ? c / Math.max(norm, c) : NaN;
      grads.forEach((g, i) => scaleInto(out[i], g, k));
    }
    return out;
  }

  get learningRate(): number {
    return this.#lr;
  }

  set learningRate(v: number) {
    if (typeof v !== 'number') throw new TypeError(`${this.name}: learningRate must be a number, got ${typeof v}`);
    if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${this.name}: learningRate must be a positive finite number, got ${v}`);
    this.#lr = v;
  }

  /** The settings a step uses: the configuration with the current learning rate. */
  protected get settings(): Readonly<O & ClipOptions> {
    return this.#lr === this.config.learningRate ? this.config : { ...this.config, learningRate: this.#lr };
  }

  protected abstract state(n: number): S;
  protected abstract step(t: number, p: Float32Array, g: Float32Array, s: S, big: boolean): void | Promise<void>;

  reset(): void {
    this.iterations = 0;
    this.states = [];
  }

  async apply(params: readonly Float32Array[], grads: readonly Float32Array[]): Promise<void> {
    if (this.states.length !== params.length) this.states = params.map((p) => this.state(p.length));
    if (grads.length !== params.length) throw new RangeError(`${this.name}: ${params.length} parameters but ${grads.length} gradients`);
    const g = this.clip(grads);
    this.iterations += 1;
    for (let i = 0; i < params.length; i++) {
      const big = params[i].length > ASYNC_WORK / 8;
      await this.step(this.iterations, params[i], g[i], this.states[i], big);
    }
  }
}

export class Adam extends Base<ReturnType<typeof adamState>, AdamOptions> {
  readonly name = 'adam';
  constructor(opts?: Partial<AdamOptions> & ClipOptions) {
    super(ADAM_DEFAULTS, opts, 'Adam');
  }
  protected state(n: number) {
    return adamState(n, this.config);
  }
  protected step(t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof adamState>, big: boolean) {
    return big ? adamStepAsync(t, p, g, s, this.settings) : adamStep(t, p, g, s, this.settings);
  }
}

export class RMSprop extends Base<ReturnType<typeof rmspropState>, RmspropOptions> {
  readonly name = 'rmsprop';
  constructor(opts?: Partial<RmspropOptions> & ClipOptions) {
    super(RMSPROP_DEFAULTS, opts, 'RMSprop');
  }
  protected state(n: number) {
    return rmspropState(n, this.config);
  }
  protected step(_t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof rmspropState>, big: boolean) {
    return big ? rmspropStepAsync(p, g, s, this.settings) : rmspropStep(p, g, s, this.settings);
  }
}

export class Nadam extends Base<ReturnType<typeof nadamState>, NadamOptions> {
  readonly name = 'nadam';
  constructor(opts?: Partial<NadamOptions> & ClipOptions) {
    super(NADAM_DEFAULTS, opts, 'Nadam');
  }
  protected state(n: number) {
    return nadamState(n);
  }
  protected step(t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof nadamState>, big: boolean) {
    return big ? nadamStepAsync(t, p, g, s, this.settings) : nadamStep(t, p, g, s, this.settings);
  }
}

export class SGD extends Base<ReturnType<typeof sgdState>, SgdOptions> {
  readonly name = 'sgd';
  constructor(opts?: Partial<SgdOptions> & ClipOptions) {
    super(SGD_DEFAULTS, opts, 'SGD');
  }
  protected state(n: number) {
    return sgdState(n, this.config);
  }
  protected step(_t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof sgdState>, big: boolean) {
    return big ? sgdStepAsync(p, g, s, this.settings) : sgdStep(p, g, s, this.settings);
  }
}

export type OptimizerName = 'adam' | 'rmsprop' | 'nadam' | 'sgd';
/** A name (Keras defaults), a name with settings, or an optimizer instance. */
export type OptimizerSpec =
  | OptimizerName
  | 'Adam' | 'RMSprop' | 'Nadam' | 'SGD'
  | Optimizer
  | ({ name: OptimizerName } & Partial<AdamOptions & RmspropOptions & NadamOptions & SgdOptions> & ClipOptions);

const makers: Record<OptimizerName, (o?: object) => Optimizer> = {
  adam: (o) => new Adam(o),
  rmsprop: (o) => new RMSprop(o),
  nadam: (o) => new Nadam(o),
  sgd: (o) => new SGD(o),
};

/** A fresh optimizer for a spec (names are case-insensitive, as in Keras). */
export function getOptimizer(spec: OptimizerSpec): Optimizer {
  if (typeof spec === 'object' && spec !== null && typeof (spec as Optimizer).apply === 'function') return spec as Optimizer;
  const named = typeof spec === 'string' ? { name: spec } : spec;
  if (typeof named !== 'object' || named === null || typeof (named as { name?: unknown }).name !== 'string') {
    throw new TypeError(`optimizer must be one of ${Object.keys(makers).join(', ')}, an object with a name, or an optimizer`);
  }
  const { name, ...rest } = named as { name: string };
  const make = (makers as Record<string, (o?: object) => Optimizer>)[name.toLowerCase()];
  if (!make || !Object.hasOwn(makers, name.toLowerCase())) {
    throw new RangeError(`optimizer must be one of ${Object.keys(makers).join(', ')}, got '${name}'`);
  }
  return make(rest);
}
