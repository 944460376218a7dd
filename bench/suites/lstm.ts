// Suite `lstm`: the text classifier Embedding(64, 32) -> LSTM(64) -> last step -> Dense(1, sigmoid),
// batch 128, T = 150 and 1024. Metrics `infer` and `train` (forward + backward + Adam step), seq/s.
// Peers: onnxruntime-node (infer only), PyTorch (child process), tfjs `cpu` backend (1 thread, sub-batch).
import { lstmData, scratch, type LstmData } from '../data.ts';
import { note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { loadOrt, measureOrtLstm } from '../peers/ort_lstm.ts';
import { loadTfjs, measureTfjsLstm, type TfjsPlan } from '../peers/tfjs_lstm.ts';
import { runPeer, torchAvailable } from '../python.ts';
import { measureVigilLstm } from './lstm_vigil.ts';

export const BATCH = 128;
export const LENGTHS = [150, 1024];

// tfjs `cpu` needs ~0.25 s per sequence to train at T=150 and ~2 s at T=1024 on this machine kind:
// a full batch of 128 would take minutes per step, so it is timed on the first rows of the same data.
export const TFJS_PLAN: Record<number, TfjsPlan> = {
  150: { batch: 32, repeats: 3 },
  1024: { batch: 4, repeats: 3 },
};

export const lstmCase = (T: number, batch = BATCH) => `emb64x32-lstm64-dense1 b${batch} T${T}`;

function rowsOf(impl: string, T: number, threads: number, r: { infer?: number; train?: number }): Row[] {
  const out: Row[] = [];
  for (const metric of ['infer', 'train'] as const) {
    const value = r[metric];
    if (value === undefined) continue;
    progress(`${impl} T=${T} t=${threads} ${metric}: ${value.toFixed(1)} seq/s`);
    out.push({ suite: 'lstm', case: lstmCase(T), impl, threads, metric, unit: 'seq/s', value });
  }
  return out;
}

async function vigilRows(opts: SuiteOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const threads of opts.threads) {
    for (const T of LENGTHS) {
      let r: { infer: number; train: number };
      try {
        r = await measureVigilLstm({ T, batch: BATCH, threads, repeats: opts.repeats });
      } catch (e) {
        note(`vigil lstm T=${T} t=${threads} failed: ${(e as Error).message}`);
        continue;
      }
      rows.push(...rowsOf('vigil', T, threads, r));
    }
  }
  return rows;
}

async function ortRows(opts: SuiteOptions, data: Map<number, LstmData>): Promise<Row[]> {
  const loaded = await loadOrt();
  if ('why' in loaded) {
    note(`onnxruntime-node skipped: ${loaded.why}`);
    return [];
  }
  const rows: Row[] = [];
  for (const threads of opts.threads) {
    for (const T of LENGTHS) {
      try {
        const infer = await measureOrtLstm(loaded.ort, data.get(T)!, threads, opts.repeats);
        rows.push(...rowsOf('onnxruntime-node', T, threads, { infer }));
      } catch (e) {
        note(`onnxruntime-node T=${T} t=${threads} failed: ${(e as Error).message}`);
      }
    }
  }
  return rows;
}

function pytorchRows(opts: SuiteOptions, data: Map<number, LstmData>): Row[] {
  const torch = torchAvailable();
  if (!torch.ok) {
    note(`pytorch skipped: ${torch.why}`);
    return [];
  }
  const tmp = scratch();
  const rows: Row[] = [];
  try {
    const cases = LENGTHS.map((T) => {
      const d = data.get(T)!;
      return { T, batch: d.batch, tokens: tmp.write(`tokens${T}.i32`, d.tokens), labels: tmp.write(`labels${T}.f32`, d.labels) };
    });
    for (const threads of opts.threads) {
      try {
        const out = runPeer<{ results: Array<{ T: number; infer: number; train: number }> }>('pytorch_lstm.py', {
          threads,
          repeats: opts.repeats,
          cases,
        });
        for (const r of out.results) rows.push(...rowsOf('pytorch', r.T, threads, r));
      } catch (e) {
        note(`pytorch lstm t=${threads} failed: ${(e as Error).message}`);
      }
    }
  } finally {
    tmp.dispose();
  }
  return rows;
}

async function tfjsRows(opts: SuiteOptions, data: Map<number, LstmData>): Promise<Row[]> {
  // The cpu backend is plain single-threaded JavaScript: it has only a 1-thread row.
  if (!opts.threads.includes(1)) {
    note('tfjs skipped: it runs single-threaded and --threads does not include 1');
    return [];
  }
  const loaded = await loadTfjs();
  if ('why' in loaded) {
    note(`tfjs skipped: ${loaded.why}`);
    return [];
  }
  const rows: Row[] = [];
  for (const T of LENGTHS) {
    const plan = { ...TFJS_PLAN[T], repeats: Math.min(TFJS_PLAN[T].repeats, opts.repeats) };
    progress(`tfjs T=${T}: ${plan.batch} of the ${BATCH} sequences, median of ${plan.repeats}`);
    try {
      rows.push(...rowsOf('tfjs', T, 1, await measureTfjsLstm(loaded.tf, data.get(T)!, plan)));
    } catch (e) {
      note(`tfjs T=${T} failed: ${(e as Error).message}`);
    }
  }
  return rows;
}

export async function runLstmSuite(opts: SuiteOptions): Promise<Row[]> {
  const data = new Map(LENGTHS.map((T) => [T, lstmData(BATCH, T)]));
  const rows = await vigilRows(opts);
  rows.push(...(await ortRows(opts, data)));
  rows.push(...pytorchRows(opts, data));
  rows.push(...(await tfjsRows(opts, data)));
  return rows;
}
