// SimpleRNN (tanh) over whole sequences: h_t = tanh(x_t W_ihᵀ + h_{t-1} W_hhᵀ + b). Same options
// as the LSTM (ts/bindings/lstm.ts) with G = hidden and no cell state: W_ih [H, I], W_hh [H, H],
// bias [H], table [vocab, H].
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import { backwardArgs, forwardArgs } from './lstm.ts';
import type { RecurrentBackwardOptions, RecurrentForwardOptions } from './lstm.ts';

type F32 = Float32Array;
type Opt<T> = T | null | undefined;
type Fn = (...args: unknown[]) => void;
type AsyncFn = (...args: unknown[]) => Promise<void>;

interface RnnAddon {
  rnnCacheSize(batch: number, time: number, hidden: number): number;
  rnnForward: Fn;
  rnnForwardAsync: AsyncFn;
  rnnBackward: Fn;
  rnnBackwardAsync: AsyncFn;
  rnnFoldEmbedding: Fn;
  rnnFoldEmbeddingAsync: AsyncFn;
  rnnUnfoldGradient: Fn;
  rnnUnfoldGradientAsync: AsyncFn;
  rnnForwardCuda: Fn;
  rnnForwardCudaAsync: AsyncFn;
  rnnBackwardCuda: Fn;
  rnnBackwardCudaAsync: AsyncFn;
}

const native = () => addon<RnnAddon>();

export type RnnForwardOptions = RecurrentForwardOptions;
export type RnnBackwardOptions = RecurrentBackwardOptions;

/** Floats of the training cache: time-major planes hidden states [T, B, H] and backward scratch [T, B, H]. */
export function rnnCacheSize(batch: number, time: number, hidden: number): number {
  return native().rnnCacheSize(batch, time, hidden);
}

/** Runs the SimpleRNN over whole sequences; writes out / hLast (and cache when training). */
export function rnnForward(o: RnnForwardOptions): void {
  const args = forwardArgs('rnnForward', o, 1, false);
  const n = native();
  onDevice(n, 'rnnForward', o.device)(...args);
}

export async function rnnForwardAsync(o: RnnForwardOptions): Promise<void> {
  const args = forwardArgs('rnnForwardAsync', o, 1, false);
  const n = native();
  return onDevice(n, 'rnnForwardAsync', o.device)(...args);
}

/** Backpropagation through time from the training cache; overwrites the gradients given. */
export function rnnBackward(o: RnnBackwardOptions): void {
  const args = backwardArgs('rnnBackward', o, 1, false);
  const n = native();
  onDevice(n, 'rnnBackward', o.device)(...args);
}

export async function rnnBackwardAsync(o: RnnBackwardOptions): Promise<void> {
  const args = backwardArgs('rnnBackwardAsync', o, 1, false);
  const n = native();
  return onDevice(n, 'rnnBackwardAsync', o.device)(...args);
}

/** table [vocab, H] = emb [vocab, embed] · wIhᵀ ([H, embed]) + bias [H]. */
export function rnnFoldEmbedding(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, bias: Opt<F32>, table: F32,
): void {
  native().rnnFoldEmbedding(vocab, embed, hidden, emb, wIh, bias ?? null, table);
}

export async function rnnFoldEmbeddingAsync(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, bias: Opt<F32>, table: F32,
): Promise<void> {
  return native().rnnFoldEmbeddingAsync(vocab, embed, hidden, emb, wIh, bias ?? null, table);
}

/** dEmb [vocab, embed] = dTable · wIh; dWIh [H, embed] = dTableᵀ · emb; dBias [H] = column sums of dTable. */
export function rnnUnfoldGradient(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, dTable: F32,
  dEmb: Opt<F32>, dWIh: Opt<F32>, dBias: Opt<F32>,
): void {
  native().rnnUnfoldGradient(vocab, embed, hidden, emb, wIh, dTable, dEmb ?? null, dWIh ?? null, dBias ?? null);
}

export async function rnnUnfoldGradientAsync(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, dTable: F32,
  dEmb: Opt<F32>, dWIh: Opt<F32>, dBias: Opt<F32>,
): Promise<void> {
  return native().rnnUnfoldGradientAsync(vocab, embed, hidden, emb, wIh, dTable, dEmb ?? null, dWIh ?? null, dBias ?? null);
}
