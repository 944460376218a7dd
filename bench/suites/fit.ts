// Suite `fit`: one training epoch of the log-breach model ("model 2" of SEEDS.md) at the seed's scale:
// Embedding(70, 32) -> Dropout(0.5) -> LSTM(64, recurrent dropout 0.5) -> Dropout(0.5) -> Dense(1, sigmoid),
// BCE + Adam, batch 128, 26,773 request-like sequences 'pre'-padded to 1,024 steps. Metric `epoch`, seconds.
// Rows: vigil Sequential.fit with lengths (packed) and without (all 1,024 steps), a plain loop of
// trainOnBatch over the same batches (what fit adds over the layers), the same step written against
// the native bindings (vigil-kernels: what the model layer adds over the kernels), and PyTorch (child process)
// with and without pack_padded_sequence. The three packed vigil rows are timed interleaved, batch
// by batch (timePacked). Slow configurations are timed on the first batches of the epoch's order and
// scaled to the epoch's rows (FIT_PLAN).
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { randomUniform } from '../../ts/bindings/random.ts';
import { Dense, Dropout, Embedding, LSTM, Sequential, type Callback } from '../../ts/index.ts';
import { tensor } from '../../ts/models/tensor.ts';
import { scratch } from '../data.ts';
import { note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { runPeer, torchAvailable } from '../python.ts';
import { KernelTrainer, largestShape, type KernelModel, type PreparedBatch } from './fit_kernels.ts';

export const ROWS = 26_773;
export const T = 1024;
export const BATCH = 128;
export const VOCAB = 70;
const SEED = 7;

/**
 * Batches timed per configuration when a full epoch would take too long; null = the whole epoch.
 * Sampled rows take the first batches of the epoch's shuffled order; the time is scaled by
 * ROWS / rows timed (every batch has the same cost model: B x its longest length, or x T unpacked).
 */
export const FIT_PLAN = {
  vigilPacked: null as number | null,
  /** Also the batches of the kernel loop (vigil-kernels). */
  vigilLoop: null as number | null,
  vigilUnpacked: 24,
  // PyTorch 1.13's packed LSTM backward takes ~85 s per batch here (forward ~0.5 s): one batch.
  pytorchPacked: 1,
  pytorchUnpacked: 2,
};

const packedCase = `logbreach emb70x32-drop-lstm64rd-drop-dense1 b${BATCH} T${T} n${ROWS} packed`;
const unpackedCase = `logbreach emb70x32-drop-lstm64rd-drop-dense1 b${BATCH} T${T} n${ROWS} unpacked`;

export interface FitData {
  /** [ROWS, T] ids in [1, VOCAB), 0 at the leading padded steps. */
  tokens: Int32Array;
  lengths: Int32Array;
  labels: Float32Array;
}

/**
 * HTTP-request-like sequences from vigil's Philox generator: 90 % of lengths in [60, 300] (skewed
 * short, like request lines with a few parameters), 10 % in (300, 1024] (bodies, long queries);
 * characters drawn from a skewed 69-symbol alphabet (a few very frequent, a long tail).
 */
export function fitData(seed = SEED): FitData {
  const u = randomUniform(new Float32Array(2 * ROWS), seed, 1);
  const lengths = new Int32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    const a = u[2 * i], b = u[2 * i + 1];
    lengths[i] = a < 0.9 ? 60 + Math.floor(240 * b * b) : 301 + Math.floor(723 * b);
  }
  const c = randomUniform(new Float32Array(ROWS * T), seed, 2);
  const tokens = new Int32Array(ROWS * T);
  for (let i = 0; i < ROWS; i++) {
    for (let t = T - lengths[i]; t < T; t++) {
      const v = c[i * T + t];
      tokens[i * T + t] = 1 + Math.min(VOCAB - 2, Math.floor((VOCAB - 1) * v * v));
    }
  }
  const l = randomUniform(new Float32Array(ROWS), seed, 3);
  const labels = Float32Array.from(l, (x) => (x < 0.3 ? 1 : 0));
  return { tokens, lengths, labels };
}

/** Sequential.fit's epoch order for (seed, epoch 0): the same Fisher-Yates on the Philox stream. */
export function epochOrder(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const u = randomUniform(new Float32Array(n), seed, 2 ** 40);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(u[i] * (i + 1)));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}

/** The model as raw kernels see it (bench/suites/fit_kernels.ts); model() builds the same one. */
const KERNEL_MODEL: KernelModel = { vocab: VOCAB, embed: 32, hidden: 64, rate: 0.5, seed: 1 };
/** Batches averaged at each end of the kernel loop's pass to tell that it trains. */
const LOSS_WINDOW = 20;

function model(): Sequential {
  const { vocab, embed, hidden, rate, seed } = KERNEL_MODEL;
  const m = new Sequential([
    new Embedding(vocab, embed), new Dropout(rate), new LSTM(hidden, { recurrentDropout: rate }), new Dropout(rate),
    new Dense(1, { activation: 'sigmoid' }),
  ], { seed });
  m.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  return m;
}

/** The first `rows` rows of the epoch order as a contiguous data set (fit then shuffles it again). */
function subset(d: FitData, order: Int32Array, rows: number): FitData {
  const tokens = new Int32Array(rows * T), lengths = new Int32Array(rows), labels = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = order[i];
    tokens.set(d.tokens.subarray(r * T, (r + 1) * T), i * T);
    lengths[i] = d.lengths[r];
    labels[i] = d.labels[r];
  }
  return { tokens, lengths, labels };
}

/** Input of fit: the first `rows` rows, with their lengths when packed. */
function fitInput(d: FitData, rows: number, packed: boolean) {
  return { tokens: tensor(d.tokens.subarray(0, rows * T), [rows, T]), lengths: packed ? d.lengths.subarray(0, rows) : null };
}

/** A fresh model after a 2-batch warm-up fit: JIT, layer buffers at the size of those batches. */
async function warmModel(d: FitData, packed: boolean): Promise<Sequential> {
  const m = model();
  await m.fit(fitInput(d, 2 * BATCH, packed), d.labels.subarray(0, 2 * BATCH), { epochs: 1, batchSize: BATCH, seed: SEED });
  return m;
}

async function timeFit(d: FitData, packed: boolean): Promise<number> {
  const m = await warmModel(d, packed);
  const n = d.lengths.length;
  const t0 = performance.now();
  await m.fit(fitInput(d, n, packed), d.labels, { epochs: 1, batchSize: BATCH, seed: SEED });
  return (performance.now() - t0) / 1000;
}

/** The first `batches` of fit's epoch order (null: all), each cut to its longest sequence as fit cuts them. */
function prepareBatches(d: FitData, batches: number | null): PreparedBatch[] {
  const order = epochOrder(d.lengths.length, SEED);
  const nb = Math.min(batches ?? Infinity, Math.ceil(order.length / BATCH));
  const prepared: PreparedBatch[] = [];
  for (let k = 0; k < nb; k++) {
    const idx = order.subarray(k * BATCH, Math.min(order.length, (k + 1) * BATCH));
    let keep = 1;
    for (const r of idx) keep = Math.max(keep, d.lengths[r]);
    const tokens = new Int32Array(idx.length * keep), lengths = new Int32Array(idx.length), labels = new Float32Array(idx.length);
    idx.forEach((r, i) => {
      tokens.set(d.tokens.subarray(r * T + T - keep, (r + 1) * T), i * keep);
      lengths[i] = d.lengths[r];
      labels[i] = d.labels[r];
    });
    prepared.push({ tokens, lengths, labels, rows: idx.length, steps: keep });
  }
  return prepared;
}

interface PackedTimes {
  /** Seconds: fit's whole epoch, and the loop's and the kernels' steps over `rows` rows. */
  fit: number;
  loop: number;
  kernels: number;
  rows: number;
  loopLosses: number[];
  kernelLosses: number[];
}

/**
 * The packed epoch three ways, interleaved batch by batch: after fit's batch k (its onBatchEnd),
 * trainOnBatch on a second model and the kernel step run on the same batch (fit's batch k is
 * batches[k]), alternating which of the two goes first. The shared VM's load swings by tens of
 * percent within a minute, so three epochs timed one after another compare different machines;
 * interleaved, a change in load hits all three alike. Each gets a warm-up on two batches, and each
 * time is the sum of its own steps (fit's: the time between its callbacks, plus its start and end).
 */
async function timePacked(d: FitData, batches: readonly PreparedBatch[]): Promise<PackedTimes> {
  const fitModel = await warmModel(d, true);
  const loopModel = model();
  const xy = batches.map((b) => ({ x: { tokens: tensor(b.tokens, [b.rows, b.steps]), lengths: b.lengths }, y: b.labels }));
  for (const b of xy.slice(0, 2)) await loopModel.trainOnBatch(b.x, b.y);
  const big = largestShape(batches);
  const trainer = new KernelTrainer(KERNEL_MODEL, big.rows, big.steps);
  for (const b of batches.slice(0, 2)) trainer.step(b);

  const ms = { fit: 0, loop: 0, kernels: 0 };
  const loopLosses: number[] = [], kernelLosses: number[] = [];
  const loopStep = async (k: number) => {
    const t0 = performance.now();
    loopLosses.push(await loopModel.trainOnBatch(xy[k].x, xy[k].y));
    ms.loop += performance.now() - t0;
  };
  const kernelStep = (k: number) => {
    const t0 = performance.now();
    kernelLosses.push(trainer.step(batches[k]));
    ms.kernels += performance.now() - t0;
  };
  let mark = performance.now();
  const interleave: Callback = {
    async onBatchEnd(k) {
      ms.fit += performance.now() - mark;
      if (k < batches.length && k % 2 === 0) {
        await loopStep(k);
        kernelStep(k);
      } else if (k < batches.length) {
        kernelStep(k);
        await loopStep(k);
      }
      mark = performance.now();
    },
  };
  await fitModel.fit(fitInput(d, d.lengths.length, true), d.labels, { epochs: 1, batchSize: BATCH, seed: SEED, callbacks: [interleave] });
  ms.fit += performance.now() - mark;
  const rows = batches.reduce((n, b) => n + b.rows, 0);
  return { fit: ms.fit / 1000, loop: ms.loop / 1000, kernels: ms.kernels / 1000, rows, loopLosses, kernelLosses };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The kernel loop's row, or null when its step does not train (a broken step must not be timed):
 * the mean loss of its last batches must be finite and below that of its first ones. Its losses
 * are also compared with trainOnBatch's (same weights, seeds and kernel calls: they should match).
 */
function kernelRow(p: PackedTimes, threads: number): Row | null {
  const ls = p.kernelLosses;
  const w = Math.min(LOSS_WINDOW, Math.floor(ls.length / 2));
  const first = mean(ls.slice(0, w)), last = mean(ls.slice(-w));
  let diff = 0;
  ls.forEach((l, i) => (diff = Math.max(diff, Math.abs(l - p.loopLosses[i]))));
  const trains = Number.isFinite(last) && Number.isFinite(first) && last < first;
  const how = ` (${p.rows} rows timed; mean loss of the first ${w} batches ${first.toFixed(4)}, last ${w} ${last.toFixed(4)}` +
    `${trains ? '' : ': NOT TRAINING'}; max |loss - vigil-loop loss| ${diff.toPrecision(2)})`;
  const r = row(packedCase, 'vigil-kernels', threads, (p.kernels * ROWS) / p.rows, how);
  if (!trains) {
    note(`vigil-kernels t=${threads} dropped: its loss did not go down`);
    return null;
  }
  return r;
}

const overhead = (model: number, kernels: number) => `${model >= kernels ? '+' : ''}${((model / kernels - 1) * 100).toFixed(1)} %`;

const row = (c: string, impl: string, threads: number, value: number, how: string): Row => {
  progress(`${impl} ${c.endsWith('unpacked') ? 'unpacked' : 'packed'} t=${threads}: ${value.toFixed(2)} s/epoch${how}`);
  return { suite: 'fit', case: c, impl, threads, metric: 'epoch', unit: 's', value };
};

async function vigilRows(opts: SuiteOptions, d: FitData): Promise<Row[]> {
  const rows: Row[] = [];
  const order = epochOrder(ROWS, SEED);
  const batches = prepareBatches(d, FIT_PLAN.vigilLoop);
  for (const threads of opts.threads) {
    setNumThreads(threads);
    try {
      const p = await timePacked(d, batches);
      const fit = row(packedCase, 'vigil', threads, p.fit, '');
      const loop = row(packedCase, 'vigil-loop', threads, (p.loop * ROWS) / p.rows, ` (${p.rows} rows timed)`);
      rows.push(fit, loop);
      const kernels = kernelRow(p, threads);
      if (kernels) {
        rows.push(kernels);
        progress(`model layer over vigil-kernels t=${threads}: fit ${overhead(fit.value, kernels.value)}, ` +
          `trainOnBatch ${overhead(loop.value, kernels.value)} (goal: at most +10 %)`);
      }
      const k = FIT_PLAN.vigilUnpacked;
      const sub = k === null ? d : subset(d, order, k * BATCH);
      const s = await timeFit(sub, false);
      rows.push(row(unpackedCase, 'vigil', threads, (s * ROWS) / sub.lengths.length, ` (${sub.lengths.length} rows timed)`));
    } catch (e) {
      note(`vigil fit t=${threads} failed: ${(e as Error).message}`);
    }
  }
  return rows;
}

function pytorchRows(opts: SuiteOptions, d: FitData): Row[] {
  const torch = torchAvailable();
  if (!torch.ok) {
    note(`pytorch skipped: ${torch.why}`);
    return [];
  }
  const tmp = scratch();
  const rows: Row[] = [];
  try {
    const files = {
      tokens: tmp.write('tokens.i32', d.tokens), lengths: tmp.write('lengths.i32', d.lengths),
      labels: tmp.write('labels.f32', d.labels), order: tmp.write('order.i32', epochOrder(ROWS, SEED)),
    };
    for (const threads of opts.threads) {
      try {
        const out = runPeer<{ results: Array<{ packed: boolean; seconds: number; rows: number }> }>('pytorch_fit.py', {
          threads, rows: ROWS, T, batch: BATCH, vocab: VOCAB, ...files,
          plan: { packed: FIT_PLAN.pytorchPacked, unpacked: FIT_PLAN.pytorchUnpacked },
        });
        for (const r of out.results) {
          rows.push(row(r.packed ? packedCase : unpackedCase, 'pytorch', threads, (r.seconds * ROWS) / r.rows, ` (${r.rows} rows timed)`));
        }
      } catch (e) {
        note(`pytorch fit t=${threads} failed: ${(e as Error).message}`);
      }
    }
  } finally {
    tmp.dispose();
  }
  return rows;
}

export async function runFitSuite(opts: SuiteOptions): Promise<Row[]> {
  const d = fitData();
  let sum = 0;
  for (const l of d.lengths) sum += l;
  progress(`${ROWS} sequences, mean length ${(sum / ROWS).toFixed(0)}, padded to ${T}`);
  const rows = await vigilRows(opts, d);
  rows.push(...pytorchRows(opts, d));
  return rows;
}
