// Keras-named optimizers over the in-place kernels of ts/bindings/optimizer.ts. One instance keeps
// the state (moments, step count) of one model's parameters; compile() makes one from a name.
import {
  ADAM_DEFAULTS, NADAM_DEFAULTS, RMSPROP_DEFAULTS, SGD_DEFAULTS, adamState, adamStep, adamStepAsync, nadamState,
  nadamStep, nadamStepAsync, rmspropState, rmspropStep, rmspropStepAsync, sgdState, sgdStep, sgdStepAsync,
} from '../bindings/optimizer.ts';
import type { AdamOptions, NadamOptions, RmspropOptions, SgdOptions } from '../bindings/optimizer.ts';
import { ASYNC_WORK } from './layers/layer.ts';

export interface Optimizer {
  readonly name: string;
  readonly learningRate: number;
  /** Steps taken so far. */
  readonly iterations: number;
  /** One update of every parameter from its gradient (same order on every call). */
  apply(params: readonly Float32Array[], grads: readonly Float32Array[]): Promise<void>;
}

abstract class Base<S, O extends { learningRate: number }> implements Optimizer {
  abstract readonly name: string;
  readonly config: Readonly<O>;
  iterations = 0;
  private states: S[] = [];

  constructor(defaults: O, opts: Partial<O> | undefined, fn: string) {
    if (opts !== undefined && (typeof opts !== 'object' || opts === null)) throw new TypeError(`${fn}: options must be an object`);
    this.config = Object.freeze({ ...defaults, ...opts });
    const lr = this.config.learningRate;
    if (typeof lr !== 'number') throw new TypeError(`${fn}: learningRate must be a number, got ${typeof lr}`);
    if (!(lr > 0 && Number.isFinite(lr))) throw new RangeError(`${fn}: learningRate must be a positive finite number, got ${lr}`);
  }

  get learningRate(): number {
    return this.config.learningRate;
  }

  protected abstract state(n: number): S;
  protected abstract step(t: number, p: Float32Array, g: Float32Array, s: S, big: boolean): void | Promise<void>;

  async apply(params: readonly Float32Array[], grads: readonly Float32Array[]): Promise<void> {
    if (this.states.length !== params.length) this.states = params.map((p) => this.state(p.length));
    this.iterations += 1;
    for (let i = 0; i < params.length; i++) {
      const big = params[i].length > ASYNC_WORK / 8;
      await this.step(this.iterations, params[i], grads[i], this.states[i], big);
    }
  }
}

export class Adam extends Base<ReturnType<typeof adamState>, AdamOptions> {
  readonly name = 'adam';
  constructor(opts?: Partial<AdamOptions>) {
    super(ADAM_DEFAULTS, opts, 'Adam');
  }
  protected state(n: number) {
    return adamState(n, this.config);
  }
  protected step(t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof adamState>, big: boolean) {
    return big ? adamStepAsync(t, p, g, s, this.config) : adamStep(t, p, g, s, this.config);
  }
}

export class RMSprop extends Base<ReturnType<typeof rmspropState>, RmspropOptions> {
  readonly name = 'rmsprop';
  constructor(opts?: Partial<RmspropOptions>) {
    super(RMSPROP_DEFAULTS, opts, 'RMSprop');
  }
  protected state(n: number) {
    return rmspropState(n, this.config);
  }
  protected step(_t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof rmspropState>, big: boolean) {
    return big ? rmspropStepAsync(p, g, s, this.config) : rmspropStep(p, g, s, this.config);
  }
}

export class Nadam extends Base<ReturnType<typeof nadamState>, NadamOptions> {
  readonly name = 'nadam';
  constructor(opts?: Partial<NadamOptions>) {
    super(NADAM_DEFAULTS, opts, 'Nadam');
  }
  protected state(n: number) {
    return nadamState(n);
  }
  protected step(t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof nadamState>, big: boolean) {
    return big ? nadamStepAsync(t, p, g, s, this.config) : nadamStep(t, p, g, s, this.config);
  }
}

export class SGD extends Base<ReturnType<typeof sgdState>, SgdOptions> {
  readonly name = 'sgd';
  constructor(opts?: Partial<SgdOptions>) {
    super(SGD_DEFAULTS, opts, 'SGD');
  }
  protected state(n: number) {
    return sgdState(n, this.config);
  }
  protected step(_t: number, p: Float32Array, g: Float32Array, s: ReturnType<typeof sgdState>, big: boolean) {
    return big ? sgdStepAsync(p, g, s, this.config) : sgdStep(p, g, s, this.config);
  }
}

export type OptimizerName = 'adam' | 'rmsprop' | 'nadam' | 'sgd';
/** A name (Keras defaults), a name with settings, or an optimizer instance. */
export type OptimizerSpec =
  | OptimizerName
  | 'Adam' | 'RMSprop' | 'Nadam' | 'SGD'
  | Optimizer
  | ({ name: OptimizerName } & Partial<AdamOptions & RmspropOptions & NadamOptions & SgdOptions>);

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
