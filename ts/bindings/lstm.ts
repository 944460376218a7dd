// LSTM over whole sequences (forward, BPTT backward) and the Embedding folding helpers.
// Conventions (see native/cpu/lstm.h): PyTorch gate order i, f, g, o; W_ih [4H, I], W_hh [4H, H],
// one bias [4H] (= b_ih + b_hh); batch-major x [B, T, I], outputs [B, T, H]; all row-major.
import { addon } from './addon.ts';
import { onDevice } from './device.ts';
import type { Device } from './device.ts';

/** 'pre' (Keras pad_sequences): the valid steps are the last `len`; 'post' (PyTorch packed): the first. */
export type Padding = 'pre' | 'post';

type F32 = Float32Array;
type Opt<T> = T | null | undefined;

/** Options shared by the LSTM and SimpleRNN forward calls. G = 4 * hidden (LSTM) or hidden (RNN). */
export interface RecurrentForwardOptions {
  batch: number;
  time: number;
  hidden: number;
  /** Dense mode: features per step and x [batch, time, input], wIh [G, input], optional bias [G]. */
  input?: number;
  x?: F32;
  wIh?: F32;
  bias?: Opt<F32>;
  /** Gather mode (Embedding feeding the layer): token ids [batch, time] in [0, vocab) and the
   * folded table [vocab, G] from foldEmbedding. vocab defaults to table.length / G. */
  tokens?: Int32Array;
  table?: F32;
  vocab?: number;
  /** [G, hidden]. */
  wHh: F32;
  /** Initial hidden state [batch, hidden]; zeros when absent. */
  h0?: Opt<F32>;
  /** Valid steps per sequence [batch], each in [0, time]; all `time` when absent. */
  lengths?: Opt<Int32Array>;
  /** Which end the padding is on (default 'pre'). */
  padding?: Padding;
  /** Training mode: writes `cache` (required) for the backward and applies recurrent dropout. */
  training?: boolean;
  /** Recurrent (variational) dropout rate in [0, 1), training only (default 0). */
  dropout?: number;
  /** Dropout mask: element (b, j) kept iff philoxUniform(seed, stream, b*hidden + j) >= dropout. */
  seed?: number;
  stream?: number;
  /** Training cache (cacheSize(batch, time, hidden) floats). */
  cache?: Opt<F32>;
  /** If true, `out` is required; if false, `out` must be absent (default: whether out is given). */
  returnSequences?: boolean;
  /** All hidden states [batch, time, hidden]; 0 at padded steps. */
  out?: Opt<F32>;
  /** Hidden state after the last valid step [batch, hidden]. */
  hLast?: Opt<F32>;
  /** Inference: each unit's maximum over the valid steps [batch, hidden] (Keras' masked
   * GlobalMaxPooling1D fused into the recurrence; 0 for a row with no valid steps, NaN sticky). */
  outMax?: Opt<F32>;
  /**
   * Where it runs (default 'cpu'; 'auto' as resolveDevice): 'cuda' runs native/cuda/lstm.cu,
   * copying the operands to the GPU and the outputs (and cache) back for each call; within ~1e-5
   * of the CPU. Padded entries of the cache's gate and cell planes, which the CPU leaves as they
   * were, come back as 0. A CUDA failure throws an Error naming the kernel and shape.
   */
  device?: Device;
}

export interface LstmForwardOptions extends RecurrentForwardOptions {
  /** Initial cell state [batch, hidden]; zeros when absent. */
  c0?: Opt<F32>;
  /** Cell state after the last valid step [batch, hidden]. */
  cLast?: Opt<F32>;
}

/** Options shared by the backward calls; the inputs must be those of the training forward. */
export interface RecurrentBackwardOptions {
  batch: number;
  time: number;
  hidden: number;
  input?: number;
  x?: F32;
  wIh?: F32;
  tokens?: Int32Array;
  /** Gather mode: defaults to dTable.length / G (required when dTable is absent). */
  vocab?: number;
  wHh: F32;
  h0?: Opt<F32>;
  lengths?: Opt<Int32Array>;
  padding?: Padding;
  dropout?: number;
  seed?: number;
  stream?: number;
  /** The cache the training forward wrote. The backward CONSUMES it (overwrites it in place: no
   * per-call buffers of batch*time rows): run one backward per training forward. */
  cache: F32;
  /** Gradient w.r.t. every output step [batch, time, hidden] (padded steps ignored). */
  dY?: Opt<F32>;
  /** Gradient w.r.t. hLast [batch, hidden]. */
  dHlast?: Opt<F32>;
  /** Outputs (overwritten; absent = not computed). dX [batch, time, input] (dense). */
  dX?: Opt<F32>;
  /** [G, input] (dense). */
  dWIh?: Opt<F32>;
  /** [vocab, G] (gather): the table's gradient, see unfoldGradient. */
  dTable?: Opt<F32>;
  /** [G, hidden]. */
  dWHh?: Opt<F32>;
  /** [G]: column sums of the gate gradients. */
  dBias?: Opt<F32>;
  /** [batch, hidden]. */
  dh0?: Opt<F32>;
  /** As the forward's (gradients within ~1e-4 of the CPU): 'cuda' reads the cache without consuming it (it is still one backward per forward). */
  device?: Device;
}

export interface LstmBackwardOptions extends RecurrentBackwardOptions {
  c0?: Opt<F32>;
  /** Gradient w.r.t. cLast [batch, hidden]. */
  dCn?: Opt<F32>;
  /** [batch, hidden]. */
  dc0?: Opt<F32>;
}

type Fn = (...args: unknown[]) => void;
type AsyncFn = (...args: unknown[]) => Promise<void>;

interface LstmAddon {
  lstmCacheSize(batch: number, time: number, hidden: number): number;
  lstmForward: Fn;
  lstmForwardAsync: AsyncFn;
  lstmBackward: Fn;
  lstmBackwardAsync: AsyncFn;
  lstmFoldEmbedding: Fn;
  lstmFoldEmbeddingAsync: AsyncFn;
  lstmUnfoldGradient: Fn;
  lstmUnfoldGradientAsync: AsyncFn;
  lstmForwardCuda: Fn;
  lstmForwardCudaAsync: AsyncFn;
  lstmBackwardCuda: Fn;
  lstmBackwardCudaAsync: AsyncFn;
}

const native = () => addon<LstmAddon>();

function paddingCode(fn: string, p: unknown): number {
  if (p === undefined) return 0;
  if (typeof p !== 'string') throw new TypeError(`${fn}: padding must be 'pre' or 'post', got ${typeof p}`);
  if (p === 'pre') return 0;
  if (p === 'post') return 1;
  throw new RangeError(`${fn}: padding must be 'pre' or 'post', got '${p}'`);
}

function vocabOf(fn: string, vocab: unknown, table: unknown, gates: number, what: string): number {
  if (vocab !== undefined) return vocab as number;
  // A bad hidden size: let the native call name it.
  if (!Number.isInteger(gates) || gates <= 0) return 0;
  if (table instanceof Float32Array && gates > 0 && table.length > 0 && table.length % gates === 0) {
    return table.length / gates;
  }
  throw new RangeError(`${fn}: ${what} must be a Float32Array of vocab * ${gates} elements (or give vocab)`);
}

function checkObject(fn: string, o: unknown): void {
  if (typeof o !== 'object' || o === null) throw new TypeError(`${fn}: options must be an object`);
}


/** @internal Positional native arguments of a forward call; gatesPerHidden 4 (LSTM) or 1 (RNN). */
export function forwardArgs(fn: string, o: LstmForwardOptions, gatesPerHidden: number, cell: boolean): unknown[] {
  checkObject(fn, o);
  const gather = o.x === undefined || o.x === null;
  if (o.returnSequences === true && (o.out === undefined || o.out === null))
    throw new TypeError(`${fn}: returnSequences is true but out is missing`);
  if (o.returnSequences === false && o.out !== undefined && o.out !== null)
    throw new TypeError(`${fn}: returnSequences is false but out is given`);
  const G = gatesPerHidden * o.hidden;
  const vocab = gather ? vocabOf(fn, o.vocab, o.table, G, 'table') : 0;
  const input = gather ? 0 : o.input;
  const training = o.training ?? false;
  const args: unknown[] = [o.batch, o.time, input, o.hidden, vocab, o.x ?? null, o.wIh ?? null, o.bias ?? null];
  args.push(o.tokens ?? null, o.table ?? null, o.wHh, o.h0 ?? null);
  if (cell) args.push(o.c0 ?? null);
  args.push(o.lengths ?? null, paddingCode(fn, o.padding), training, o.dropout ?? 0, o.seed ?? 0, o.stream ?? 0);
  args.push(o.cache ?? null, o.out ?? null, o.hLast ?? null);
  if (cell) args.push(o.cLast ?? null);
  args.push(o.outMax ?? null);
  return args;
}

/** @internal Positional native arguments of a backward call. */
export function backwardArgs(fn: string, o: LstmBackwardOptions, gatesPerHidden: number, cell: boolean): unknown[] {
  checkObject(fn, o);
  const gather = o.x === undefined || o.x === null;
  const G = gatesPerHidden * o.hidden;
  const vocab = gather ? vocabOf(fn, o.vocab, o.dTable, G, 'dTable') : 0;
  const input = gather ? 0 : o.input;
  const args: unknown[] = [o.batch, o.time, input, o.hidden, vocab, o.x ?? null, o.wIh ?? null, o.tokens ?? null];
  args.push(o.wHh, o.h0 ?? null);
  if (cell) args.push(o.c0 ?? null);
  args.push(o.lengths ?? null, paddingCode(fn, o.padding), o.dropout ?? 0, o.seed ?? 0, o.stream ?? 0, o.cache);
  args.push(o.dY ?? null, o.dHlast ?? null);
  if (cell) args.push(o.dCn ?? null);
  args.push(o.dX ?? null, o.dWIh ?? null, o.dTable ?? null, o.dWHh ?? null, o.dBias ?? null, o.dh0 ?? null);
  if (cell) args.push(o.dc0 ?? null);
  return args;
}

/** Floats of the training cache: time-major planes gates [T, B, 4H], cell states [T, B, H], hidden states [T, B, H]. */
export function lstmCacheSize(batch: number, time: number, hidden: number): number {
  return native().lstmCacheSize(batch, time, hidden);
}

/** Runs the LSTM over whole sequences; writes out / hLast / cLast (and cache when training). */
export function lstmForward(o: LstmForwardOptions): void {
  const args = forwardArgs('lstmForward', o, 4, true);
  const n = native();
  onDevice(n, 'lstmForward', o.device)(...args);
}

export async function lstmForwardAsync(o: LstmForwardOptions): Promise<void> {
  const args = forwardArgs('lstmForwardAsync', o, 4, true);
  const n = native();
  return onDevice(n, 'lstmForwardAsync', o.device)(...args);
}

/** Backpropagation through time from the training cache; overwrites the gradients given. */
export function lstmBackward(o: LstmBackwardOptions): void {
  const args = backwardArgs('lstmBackward', o, 4, true);
  const n = native();
  onDevice(n, 'lstmBackward', o.device)(...args);
}

export async function lstmBackwardAsync(o: LstmBackwardOptions): Promise<void> {
  const args = backwardArgs('lstmBackwardAsync', o, 4, true);
  const n = native();
  return onDevice(n, 'lstmBackwardAsync', o.device)(...args);
}

/** table [vocab, 4H] = emb [vocab, embed] · wIhᵀ ([4H, embed]) + bias [4H]: the gather-mode input. */
export function lstmFoldEmbedding(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, bias: Opt<F32>, table: F32,
): void {
  native().lstmFoldEmbedding(vocab, embed, hidden, emb, wIh, bias ?? null, table);
}

export async function lstmFoldEmbeddingAsync(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, bias: Opt<F32>, table: F32,
): Promise<void> {
  return native().lstmFoldEmbeddingAsync(vocab, embed, hidden, emb, wIh, bias ?? null, table);
}

/** dEmb [vocab, embed] = dTable · wIh; dWIh [4H, embed] = dTableᵀ · emb; dBias [4H] = column sums of dTable. */
export function lstmUnfoldGradient(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, dTable: F32,
  dEmb: Opt<F32>, dWIh: Opt<F32>, dBias: Opt<F32>,
): void {
  native().lstmUnfoldGradient(vocab, embed, hidden, emb, wIh, dTable, dEmb ?? null, dWIh ?? null, dBias ?? null);
}

export async function lstmUnfoldGradientAsync(
  vocab: number, embed: number, hidden: number, emb: F32, wIh: F32, dTable: F32,
  dEmb: Opt<F32>, dWIh: Opt<F32>, dBias: Opt<F32>,
): Promise<void> {
  return native().lstmUnfoldGradientAsync(vocab, embed, hidden, emb, wIh, dTable, dEmb ?? null, dWIh ?? null, dBias ?? null);
}
