// Time-axis layers around Conv1D, channels-last [B, T, C] as Keras: MaxPooling1D (with argmax for the
// backward pass), UpSampling1D, SpatialDropout1D.
import { addon } from './addon.ts';

type F32 = Float32Array;
type I32 = Int32Array;
export type Pool1dPadding = 'valid' | 'same';

/** MaxPooling1D's shape; `strides` defaults to `poolSize`, as in Keras. */
export interface MaxPool1dShape {
  batch: number;
  time: number;
  channels: number;
  poolSize: number;
  strides?: number;
  padding: Pool1dPadding;
}

type Dims = [number, number, number, number, number, Pool1dPadding];
interface Pool1dAddon {
  maxPool1dForward(...a: [...Dims, F32, F32, I32 | null]): void;
  maxPool1dForwardAsync(...a: [...Dims, F32, F32, I32 | null]): Promise<void>;
  maxPool1dBackward(...a: [...Dims, I32, F32, F32]): void;
  maxPool1dBackwardAsync(...a: [...Dims, I32, F32, F32]): Promise<void>;
  upSampling1dForward(B: number, T: number, C: number, size: number, x: F32, y: F32): void;
  upSampling1dForwardAsync(B: number, T: number, C: number, size: number, x: F32, y: F32): Promise<void>;
  upSampling1dBackward(B: number, T: number, C: number, size: number, dY: F32, dX: F32): void;
  upSampling1dBackwardAsync(B: number, T: number, C: number, size: number, dY: F32, dX: F32): Promise<void>;
  spatialDropout1d(B: number, T: number, C: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null): void;
  spatialDropout1dAsync(
    B: number, T: number, C: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null,
  ): Promise<void>;
}

const native = () => addon<Pool1dAddon>();
const dims = (s: MaxPool1dShape): Dims => [s.batch, s.time, s.channels, s.poolSize, s.strides ?? s.poolSize, s.padding];

/**
 * Output length, as Keras: 'valid' `floor((time - poolSize) / strides) + 1` (time must be >= poolSize),
 * 'same' `ceil(time / strides)` (windows padded, the smaller half on the left; padding never wins).
 */
export function maxPool1dOutputLength(s: Pick<MaxPool1dShape, 'time' | 'poolSize' | 'strides' | 'padding'>): number {
  const strides = s.strides ?? s.poolSize;
  return s.padding === 'same' ? Math.ceil(s.time / strides) : Math.floor((s.time - s.poolSize) / strides) + 1;
}

/**
 * `y [B, Tout, C]` = window maxima; `argmax [B, Tout, C]` (may be null for inference) receives each
 * maximum's input step in [0, T), the earliest on ties, for maxPool1dBackward.
 */
export function maxPool1dForward(s: MaxPool1dShape, x: F32, y: F32, argmax: I32 | null): void {
  native().maxPool1dForward(...dims(s), x, y, argmax ?? null);
}

export async function maxPool1dForwardAsync(s: MaxPool1dShape, x: F32, y: F32, argmax: I32 | null): Promise<void> {
  return native().maxPool1dForwardAsync(...dims(s), x, y, argmax ?? null);
}

/** `dX [B, T, C]` (overwritten): each `dY` element added at the step its argmax names, zero elsewhere. */
export function maxPool1dBackward(s: MaxPool1dShape, argmax: I32, dY: F32, dX: F32): void {
  native().maxPool1dBackward(...dims(s), argmax, dY, dX);
}

export async function maxPool1dBackwardAsync(s: MaxPool1dShape, argmax: I32, dY: F32, dX: F32): Promise<void> {
  return native().maxPool1dBackwardAsync(...dims(s), argmax, dY, dX);
}

/** UpSampling1D: `y [B, T·size, C]` repeats each step `size` times. */
export function upSampling1dForward(B: number, T: number, C: number, size: number, x: F32, y: F32): void {
  native().upSampling1dForward(B, T, C, size, x, y);
}

export async function upSampling1dForwardAsync(B: number, T: number, C: number, size: number, x: F32, y: F32): Promise<void> {
  return native().upSampling1dForwardAsync(B, T, C, size, x, y);
}

/** `dX [B, T, C]` = the sum of each step's `size` copies in `dY [B, T·size, C]`. */
export function upSampling1dBackward(B: number, T: number, C: number, size: number, dY: F32, dX: F32): void {
  native().upSampling1dBackward(B, T, C, size, dY, dX);
}

export async function upSampling1dBackwardAsync(B: number, T: number, C: number, size: number, dY: F32, dX: F32): Promise<void> {
  return native().upSampling1dBackwardAsync(B, T, C, size, dY, dX);
}

/**
 * SpatialDropout1D: drops whole channels of a sequence, `y[b, t, c] = x[b, t, c] · f[b, c]` with
 * `f[b, c]` the factor `dropoutForward(B·C, rate, seed, stream, …)` gives element `b·C + c`
 * (0 or `1 / (1 - rate)`). `mask [B, C]` (may be null) receives `f`. The same call with the same
 * rate, seed and stream maps `dY` to `dX`.
 */
export function spatialDropout1d(
  B: number, T: number, C: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null = null,
): void {
  native().spatialDropout1d(B, T, C, rate, seed, stream, x, y, mask);
}

export async function spatialDropout1dAsync(
  B: number, T: number, C: number, rate: number, seed: number, stream: number, x: F32, y: F32, mask: F32 | null = null,
): Promise<void> {
  return native().spatialDropout1dAsync(B, T, C, rate, seed, stream, x, y, mask);
}
