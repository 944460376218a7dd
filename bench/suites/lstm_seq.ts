// Suite `lstm-seq`: training throughput of the book's NAB LSTM autoencoder (SEEDS.md): univariate
// windows of 48 steps, LSTM(64, returnSequences) -> Dropout(0.2) -> TimeDistributed(Dense(1)), the
// window as its own target, MAE + Adam, batch 32. The series is 4,000 steps of a noisy two-period
// signal from vigil's Philox generator, so 3,953 windows (stride 1). Metric `epoch` (seconds for one
// shuffled epoch) and `train` (windows/s); vigil Sequential.fit against PyTorch (child process,
// nn.LSTM + Dropout + Linear on every step) in the same run, each timed as warm-up + median of N epochs.
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { randomUniform } from '../../ts/bindings/random.ts';
import { Dense, Dropout, LSTM, Sequential, TimeDistributed } from '../../ts/index.ts';
import { scratch } from '../data.ts';
import { measure, note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { runPeer, torchAvailable } from '../python.ts';

export const STEPS = 4000;
export const WINDOW = 48;
export const WINDOWS = STEPS - WINDOW + 1;
export const BATCH = 32;
const SEED = 11;
const CASE = `nab lstm64seq-drop0.2-td-dense1 mae b${BATCH} T${WINDOW} n${WINDOWS}`;

/** Windows [WINDOWS, WINDOW] (one channel) of a daily-and-weekly-like signal plus uniform noise. */
export function seqWindows(seed = SEED): Float32Array {
  const noise = randomUniform(new Float32Array(STEPS), seed, 1, -0.2, 0.2);
  const series = Float32Array.from(noise, (e, t) => Math.sin((2 * Math.PI * t) / 48) + 0.5 * Math.sin((2 * Math.PI * t) / 336) + e);
  const out = new Float32Array(WINDOWS * WINDOW);
  for (let i = 0; i < WINDOWS; i++) out.set(series.subarray(i, i + WINDOW), i * WINDOW);
  return out;
}

function model(): Sequential {
  const m = new Sequential([
    new LSTM(64, { returnSequences: true, inputShape: [WINDOW, 1] }), new Dropout(0.2), new TimeDistributed(new Dense(1)),
  ], { seed: 1 });
  m.compile({ loss: 'mae', optimizer: 'adam' });
  return m;
}

const rowsFor = (impl: string, threads: number, seconds: number): Row[] => {
  progress(`${impl} t=${threads}: ${seconds.toFixed(3)} s/epoch, ${(WINDOWS / seconds).toFixed(0)} windows/s`);
  return [
    { suite: 'lstm-seq', case: CASE, impl, threads, metric: 'epoch', unit: 's', value: seconds },
    { suite: 'lstm-seq', case: CASE, impl, threads, metric: 'train', unit: 'windows/s', value: WINDOWS / seconds },
  ];
};

async function vigilRows(opts: SuiteOptions, w: Float32Array): Promise<Row[]> {
  const rows: Row[] = [];
  const x = { data: w, shape: [WINDOWS, WINDOW, 1] };
  for (const threads of opts.threads) {
    setNumThreads(threads);
    try {
      const m = model();
      let first = NaN, last = NaN;
      const t = await measure(async () => {
        const h = await m.fit(x, x, { epochs: 1, batchSize: BATCH, seed: SEED });
        if (Number.isNaN(first)) first = h.epochs[0].loss;
        last = h.epochs[0].loss;
      }, opts.repeats);
      if (!(last < first)) note(`vigil t=${threads}: loss did not go down (${first} -> ${last})`);
      else progress(`vigil t=${threads}: loss ${first.toFixed(4)} -> ${last.toFixed(4)}`);
      rows.push(...rowsFor('vigil', threads, t.seconds));
    } catch (e) {
      note(`vigil lstm-seq t=${threads} failed: ${(e as Error).message}`);
    }
  }
  return rows;
}

function pytorchRows(opts: SuiteOptions, w: Float32Array): Row[] {
  const torch = torchAvailable();
  if (!torch.ok) {
    note(`pytorch skipped: ${torch.why}`);
    return [];
  }
  const tmp = scratch();
  const rows: Row[] = [];
  try {
    const windows = tmp.write('windows.f32', w);
    for (const threads of opts.threads) {
      try {
        const out = runPeer<{ seconds: number; first: number; last: number }>('pytorch_lstm_seq.py', {
          threads, windows, rows: WINDOWS, T: WINDOW, batch: BATCH, repeats: opts.repeats,
        });
        progress(`pytorch t=${threads}: loss ${out.first.toFixed(4)} -> ${out.last.toFixed(4)}`);
        rows.push(...rowsFor('pytorch', threads, out.seconds));
      } catch (e) {
        note(`pytorch lstm-seq t=${threads} failed: ${(e as Error).message}`);
      }
    }
  } finally {
    tmp.dispose();
  }
  return rows;
}

export async function runLstmSeqSuite(opts: SuiteOptions): Promise<Row[]> {
  const w = seqWindows();
  progress(`${WINDOWS} windows of ${WINDOW} steps from a ${STEPS}-step series`);
  return [...(await vigilRows(opts, w)), ...pytorchRows(opts, w)];
}
