// Suite `fit`: one training epoch of the log-breach model ("model 2" of SEEDS.md) at the seed's scale:
// Embedding(70, 32) -> Dropout(0.5) -> LSTM(64, recurrent dropout 0.5) -> Dropout(0.5) -> Dense(1, sigmoid),
// BCE + Adam, batch 128, 26,773 request-like sequences 'pre'-padded to 1,024 steps. Metric `epoch`, seconds.
// Rows: vigil Sequential.fit with lengths (packed) and without (all 1,024 steps), a plain loop of
// trainOnBatch over the same batches (what fit adds over the layers), and PyTorch (child process)
// with and without pack_padded_sequence. Slow configurations are timed on the first batches of the
// epoch's order and scaled to the epoch's rows (FIT_PLAN).
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { randomUniform } from '../../ts/bindings/random.ts';
import { Dense, Dropout, Embedding, LSTM, Sequential } from '../../ts/index.ts';
import { tensor } from '../../ts/models/tensor.ts';
import { scratch } from '../data.ts';
import { note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { runPeer, torchAvailable } from '../python.ts';

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

function model(): Sequential {
  const m = new Sequential([
    new Embedding(VOCAB, 32), new Dropout(0.5), new LSTM(64, { recurrentDropout: 0.5 }), new Dropout(0.5),
    new Dense(1, { activation: 'sigmoid' }),
  ], { seed: 1 });
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

async function timeFit(d: FitData, packed: boolean): Promise<number> {
  const m = model();
  const n = d.lengths.length;
  const x = (rows: number) => ({ tokens: tensor(d.tokens.subarray(0, rows * T), [rows, T]), lengths: packed ? d.lengths.subarray(0, rows) : null });
  // Warm-up: JIT, layer buffers at their largest size (a full-length batch when unpacked).
  await m.fit(x(2 * BATCH), d.labels.subarray(0, 2 * BATCH), { epochs: 1, batchSize: BATCH, seed: SEED });
  const t0 = performance.now();
  await m.fit(x(n), d.labels, { epochs: 1, batchSize: BATCH, seed: SEED });
  return (performance.now() - t0) / 1000;
}

/** trainOnBatch over fit's batches, each already cut to its longest sequence (as fit's batches are). */
async function timeLoop(d: FitData, batches: number | null): Promise<{ seconds: number; rows: number }> {
  const m = model();
  const order = epochOrder(d.lengths.length, SEED);
  const nb = Math.min(batches ?? Infinity, Math.ceil(order.length / BATCH));
  const prepared = [];
  let rows = 0;
  for (let k = 0; k < nb; k++) {
    const idx = order.subarray(k * BATCH, Math.min(order.length, (k + 1) * BATCH));
    let keep = 1;
    for (const r of idx) keep = Math.max(keep, d.lengths[r]);
    const tok = new Int32Array(idx.length * keep), len = new Int32Array(idx.length), lab = new Float32Array(idx.length);
    idx.forEach((r, i) => {
      tok.set(d.tokens.subarray(r * T + T - keep, (r + 1) * T), i * keep);
      len[i] = d.lengths[r];
      lab[i] = d.labels[r];
    });
    prepared.push({ x: { tokens: tensor(tok, [idx.length, keep]), lengths: len }, y: lab });
    rows += idx.length;
  }
  for (const b of prepared.slice(0, 2)) await m.trainOnBatch(b.x, b.y);
  const t0 = performance.now();
  for (const b of prepared) await m.trainOnBatch(b.x, b.y);
  return { seconds: (performance.now() - t0) / 1000, rows };
}

const row = (c: string, impl: string, threads: number, value: number, how: string): Row => {
  progress(`${impl} ${c.endsWith('unpacked') ? 'unpacked' : 'packed'} t=${threads}: ${value.toFixed(2)} s/epoch${how}`);
  return { suite: 'fit', case: c, impl, threads, metric: 'epoch', unit: 's', value };
};

async function vigilRows(opts: SuiteOptions, d: FitData): Promise<Row[]> {
  const rows: Row[] = [];
  const order = epochOrder(ROWS, SEED);
  for (const threads of opts.threads) {
    setNumThreads(threads);
    try {
      rows.push(row(packedCase, 'vigil', threads, await timeFit(d, true), ''));
      const loop = await timeLoop(d, FIT_PLAN.vigilLoop);
      rows.push(row(packedCase, 'vigil-loop', threads, (loop.seconds * ROWS) / loop.rows, ` (${loop.rows} rows timed)`));
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
