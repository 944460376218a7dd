// In-place optimizer steps over flat Float32Arrays, with Keras' update rules and defaults
// (Keras 3 / tf.keras 2.11+; see native/cpu/optimizer.h for each formula). `t` is the 1-based
// step count; state arrays start at zero and are updated in place.
// `device` (default 'cpu'; 'auto' as resolveDevice) on every step: 'cuda' runs native/cuda/optimizer.cu,
// copying the parameter and its state up and back for each call; the CPU's operations in its order,
// unfused, so an update is the CPU's bits (x86-64).
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';
import { f32Length } from './check.ts';

type F32 = Float32Array;
interface OptimizerAddon {
  sgdStep(n: number, lr: number, momentum: number, nesterov: boolean, p: F32, g: F32, v: F32 | null): void;
  sgdStepAsync(n: number, lr: number, momentum: number, nesterov: boolean, p: F32, g: F32, v: F32 | null): Promise<void>;
  adamStep(n: number, t: number, lr: number, b1: number, b2: number, eps: number, p: F32, g: F32, m: F32, v: F32, vHat: F32 | null): void;
  adamStepAsync(
    n: number, t: number, lr: number, b1: number, b2: number, eps: number, p: F32, g: F32, m: F32, v: F32, vHat: F32 | null,
  ): Promise<void>;
  rmspropStep(
    n: number, lr: number, rho: number, momentum: number, eps: number, centered: boolean, p: F32, g: F32, v: F32, mom: F32 | null, avg: F32 | null,
  ): void;
  rmspropStepAsync(
    n: number, lr: number, rho: number, momentum: number, eps: number, centered: boolean, p: F32, g: F32, v: F32, mom: F32 | null, avg: F32 | null,
  ): Promise<void>;
  nadamStep(n: number, t: number, lr: number, b1: number, b2: number, eps: number, p: F32, g: F32, m: F32, v: F32): void;
  nadamStepAsync(n: number, t: number, lr: number, b1: number, b2: number, eps: number, p: F32, g: F32, m: F32, v: F32): Promise<void>;
}

const native = () => addon<OptimizerAddon>();
const on = <K extends keyof OptimizerAddon & string>(name: K, device: Device) => onDevice(native(), name, device);

export interface SgdOptions { learningRate: number; momentum: number; nesterov: boolean }
export interface AdamOptions { learningRate: number; beta1: number; beta2: number; epsilon: number; amsgrad: boolean }
export interface RmspropOptions { learningRate: number; rho: number; momentum: number; epsilon: number; centered: boolean }
export interface NadamOptions { learningRate: number; beta1: number; beta2: number; epsilon: number }

/** Keras defaults (keras.optimizers.SGD / Adam / RMSprop / Nadam). */
export const SGD_DEFAULTS: Readonly<SgdOptions> = Object.freeze({ learningRate: 0.01, momentum: 0, nesterov: false });
export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
export const RMSPROP_DEFAULTS: Readonly<RmspropOptions> = Object.freeze({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
export const NADAM_DEFAULTS: Readonly<NadamOptions> = Object.freeze({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });

/** Optimizer state: zero-filled arrays the size of the parameters, reused across steps. */
export interface SgdState { velocity: F32 | null }
export interface AdamState { m: F32; v: F32; vHat: F32 | null }
export interface RmspropState { v: F32; momentum: F32 | null; averageGrad: F32 | null }
export interface NadamState { m: F32; v: F32 }

export function sgdState(n: number, opts: Partial<SgdOptions> = {}): SgdState {
  return { velocity: (opts.momentum ?? SGD_DEFAULTS.momentum) > 0 ? new Float32Array(n) : null };
}
export function adamState(n: number, opts: Partial<AdamOptions> = {}): AdamState {
  return { m: new Float32Array(n), v: new Float32Array(n), vHat: opts.amsgrad ? new Float32Array(n) : null };
}
export function rmspropState(n: number, opts: Partial<RmspropOptions> = {}): RmspropState {
  return {
    v: new Float32Array(n),
    momentum: (opts.momentum ?? 0) > 0 ? new Float32Array(n) : null,
    averageGrad: opts.centered ? new Float32Array(n) : null,
  };
}
export function nadamState(n: number): NadamState {
  return { m: new Float32Array(n), v: new Float32Array(n) };
}

function size(fn: string, param: unknown): number {
  return f32Length(fn, 'param', param);
}

function sgdArgs(param: F32, grad: F32, state: SgdState, opts: Partial<SgdOptions>) {
  const o = { ...SGD_DEFAULTS, ...opts };
  return [size('sgdStep', param), o.learningRate, o.momentum, o.nesterov, param, grad, state.velocity] as const;
}
/** One SGD step: `p -= lr·g`, or with momentum `v = μv − lr·g; p += v` (Nesterov: `p += μv − lr·g`). */
export function sgdStep(param: F32, grad: F32, state: SgdState, opts: Partial<SgdOptions> = {}, device: Device = 'cpu'): void {
  on('sgdStep', device)(...sgdArgs(param, grad, state, opts));
}
export async function sgdStepAsync(param: F32, grad: F32, state: SgdState, opts: Partial<SgdOptions> = {}, device: Device = 'cpu'): Promise<void> {
  return on('sgdStepAsync', device)(...sgdArgs(param, grad, state, opts));
}

function adamArgs(t: number, param: F32, grad: F32, state: AdamState, opts: Partial<AdamOptions>) {
  const o = { ...ADAM_DEFAULTS, ...opts };
  if (o.amsgrad && !state.vHat) throw new TypeError('adamStep: amsgrad needs state.vHat');
  const vHat = o.amsgrad ? state.vHat : null;
  return [size('adamStep', param), t, o.learningRate, o.beta1, o.beta2, o.epsilon, param, grad, state.m, state.v, vHat] as const;
}
/** One Adam step (Keras' epsilon-hat form: `α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)`, `p −= α·m/(√v + ε)`); `t` starts at 1. */
export function adamStep(t: number, param: F32, grad: F32, state: AdamState, opts: Partial<AdamOptions> = {}, device: Device = 'cpu'): void {
  on('adamStep', device)(...adamArgs(t, param, grad, state, opts));
}
export async function adamStepAsync(t: number, param: F32, grad: F32, state: AdamState, opts: Partial<AdamOptions> = {}, device: Device = 'cpu'): Promise<void> {
  return on('adamStepAsync', device)(...adamArgs(t, param, grad, state, opts));
}

function rmspropArgs(param: F32, grad: F32, state: RmspropState, opts: Partial<RmspropOptions>) {
  const o = { ...RMSPROP_DEFAULTS, ...opts };
  return [size('rmspropStep', param), o.learningRate, o.rho, o.momentum, o.epsilon, o.centered, param, grad, state.v, state.momentum, state.averageGrad] as const;
}
/** One RMSprop step (Keras: ε inside the square root, optional momentum and centering). */
export function rmspropStep(param: F32, grad: F32, state: RmspropState, opts: Partial<RmspropOptions> = {}, device: Device = 'cpu'): void {
  on('rmspropStep', device)(...rmspropArgs(param, grad, state, opts));
}
export async function rmspropStepAsync(param: F32, grad: F32, state: RmspropState, opts: Partial<RmspropOptions> = {}, device: Device = 'cpu'): Promise<void> {
  return on('rmspropStepAsync', device)(...rmspropArgs(param, grad, state, opts));
}

function nadamArgs(t: number, param: F32, grad: F32, state: NadamState, opts: Partial<NadamOptions>) {
  const o = { ...NADAM_DEFAULTS, ...opts };
  return [size('nadamStep', param), t, o.learningRate, o.beta1, o.beta2, o.epsilon, param, grad, state.m, state.v] as const;
}
/** One Nadam step with Keras' momentum-cache schedule `u_t = β₁(1 − 0.5·0.96ᵗ)`; `t` starts at 1. */
export function nadamStep(t: number, param: F32, grad: F32, state: NadamState, opts: Partial<NadamOptions> = {}, device: Device = 'cpu'): void {
  on('nadamStep', device)(...nadamArgs(t, param, grad, state, opts));
}
export async function nadamStepAsync(t: number, param: F32, grad: F32, state: NadamState, opts: Partial<NadamOptions> = {}, device: Device = 'cpu'): Promise<void> {
  return on('nadamStepAsync', device)(...nadamArgs(t, param, grad, state, opts));
}
