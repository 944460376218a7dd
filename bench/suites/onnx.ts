// Suite `onnx`: one model exported by vigil's exportOnnx, run in the same process by vigil's native
// engine (the Sequential's async predict) and by onnxruntime-node's CPU provider (an InferenceSession on
// the exported bytes, the same thread count). Metrics `infer` (rows/s at batch 128) and `latency`
// (per-call p50 and p99 at batch 1, ms), for the default text recipe's LSTM classifier on URL-like
// padded ids and for the conv1d suite's TCN stack. The two impls alternate repeat by repeat (and call by
// call for latency), so a change in the shared machine's load hits both alike.
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { randomUniform } from '../../ts/bindings/random.ts';
import { Conv1D } from '../../ts/models/layers/conv1d.ts';
import { Dense } from '../../ts/models/layers/dense.ts';
import { Embedding } from '../../ts/models/layers/embedding.ts';
import { LSTM } from '../../ts/models/layers/lstm.ts';
import { GlobalMaxPooling1D } from '../../ts/models/layers/pooling.ts';
import { exportOnnx } from '../../ts/models/onnx/export/index.ts';
import { Sequential } from '../../ts/models/sequential.ts';
import type { ModelInput } from '../../ts/models/sequential.ts';
import { tensor } from '../../ts/models/tensor.ts';
import { conv1dForward } from '../../ts/bindings/conv1d.ts';
import { median, MIN_REPEAT_S, note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { TCN } from './conv1d.ts';

type Ort = typeof import('onnxruntime-node');
type Feeds = Record<string, import('onnxruntime-node').Tensor>;

export const BATCH = 128;
/** URL-like text: a char vocabulary of ~70 (with OOV) padded to the recipe's maxlen. */
export const TEXT = { vocab: 72, maxlen: 256, embed: 32, units: 128 };
/** Calls timed one by one for the latency percentiles (at most LATENCY_S seconds per impl). */
const LATENCY_CALLS = 1000;
const LATENCY_S = 3;

interface Case {
  name: string;
  model: Sequential;
  /** Rows [0, n) as vigil's input and as the graph's feeds. */
  vigil(from: number, n: number): ModelInput;
  ort(ort: Ort, from: number, n: number): Feeds;
  /** The model's kernels alone on the batch (sync bindings, warm outputs): the ceiling predict can reach. */
  kernels?: () => void;
}

/** URL-like lengths from vigil's Philox generator: 80 % in [20, 120] (skewed short), 20 % in (120, 256]. */
function textCase(seed = 77): Case {
  const { vocab: V, maxlen: T } = TEXT;
  const u = randomUniform(new Float32Array(3 * BATCH), seed, 1);
  const lengths = Int32Array.from({ length: BATCH }, (_, i) =>
    u[i]! < 0.8 ? 20 + Math.floor(100 * u[BATCH + i]! ** 2) : 121 + Math.floor(135 * u[BATCH + i]!));
  const c = randomUniform(new Float32Array(BATCH * T), seed, 2);
  const ids = new Int32Array(BATCH * T);
  for (let b = 0; b < BATCH; b++) for (let t = T - lengths[b]!; t < T; t++) ids[b * T + t] = 1 + Math.floor(c[b * T + t]! ** 1.5 * (V - 1));
  const model = new Sequential([new Embedding(V, TEXT.embed), new LSTM(TEXT.units, { returnSequences: true }), new GlobalMaxPooling1D(),
    new Dense(1, { activation: 'sigmoid' })], { seed, name: 'text_lstm' });
  model.build([null]);
  const ids64 = BigInt64Array.from(ids, (v) => BigInt(v));
  return {
    name: `lstm-text emb${V}x${TEXT.embed}-lstm${TEXT.units}seq-gmp-dense1 T${T} (lengths 20-256)`,
    model,
    vigil: (from, n) => ({ tokens: tensor(ids.slice(from * T, (from + n) * T), [n, T]), lengths: lengths.slice(from, from + n) }),
    ort: (ort, from, n) => ({ tokens: new ort.Tensor('int64', ids64.slice(from * T, (from + n) * T), [n, T]) }),
  };
}

/** The conv1d suite's stack: causal Conv1D(64, 3) at dilations 1, 2, 4, 8, ReLU between, T = 1024, 32 channels. */
function tcnCase(seed = 4321): Case {
  const { time: T, inChannels: C, filters, kernelSize, dilations } = TCN;
  const model = new Sequential(dilations.map((d, l) => new Conv1D(filters, kernelSize, {
    dilationRate: d, padding: 'causal', activation: l < dilations.length - 1 ? 'relu' : 'linear', ...(l === 0 ? { inputShape: [null, C] } : {}),
  })), { seed, name: 'tcn' });
  model.build();
  const x = randomUniform(new Float32Array(BATCH * T * C), seed, 1, -1, 1);
  const ys = dilations.map(() => new Float32Array(BATCH * T * filters));
  return {
    kernels: () => (model.layers as Conv1D[]).forEach((l, i) => conv1dForward(
      { batch: BATCH, time: T, inChannels: i === 0 ? C : filters, outChannels: filters, kernelSize, dilation: l.dilationRate, padding: 'causal' },
      i === 0 ? x : ys[i - 1]!, l.kernel, l.bias, ys[i]!, l.activation === 'relu' ? 'relu' : 'linear')),
    name: `tcn c${C}-${dilations.length}x${filters} k${kernelSize} d${dilations.join(',')} causal T${T}`,
    model,
    vigil: (from, n) => tensor(x.slice(from * T * C, (from + n) * T * C), [n, T, C]),
    ort: (ort, from, n) => ({ input: new ort.Tensor('float32', x.slice(from * T * C, (from + n) * T * C), [n, T, C]) }),
  };
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

/** Warm-up, then `repeats` timed repeats of each op alternating which goes first; median seconds per call of each. */
async function interleaved(a: () => Promise<unknown>, b: () => Promise<unknown>, repeats: number): Promise<[number, number]> {
  const calls = async (fn: () => Promise<unknown>) => {
    const t = now();
    await fn();
    return Math.max(1, Math.ceil(MIN_REPEAT_S / Math.max(now() - t, 1e-6)));
  };
  const [na, nb] = [await calls(a), await calls(b)];
  const ta: number[] = [], tb: number[] = [];
  const run = async (fn: () => Promise<unknown>, n: number, into: number[]) => {
    const t = now();
    for (let i = 0; i < n; i++) await fn();
    into.push((now() - t) / n);
  };
  for (let r = 0; r < repeats; r++) {
    if (r % 2 === 0) {
      await run(a, na, ta);
      await run(b, nb, tb);
    } else {
      await run(b, nb, tb);
      await run(a, na, ta);
    }
  }
  return [median(ta), median(tb)];
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Per-call times at batch 1 over the batch's rows in turn, the two impls alternating call by call. */
async function latencies(a: (row: number) => Promise<unknown>, b: (row: number) => Promise<unknown>): Promise<[number[], number[]]> {
  for (let i = 0; i < 20; i++) {
    await a(i % BATCH);
    await b(i % BATCH);
  }
  const ta: number[] = [], tb: number[] = [];
  const start = now();
  for (let i = 0; i < LATENCY_CALLS && now() - start < 2 * LATENCY_S; i++) {
    const row = i % BATCH;
    for (const [fn, into] of (i % 2 === 0 ? [[a, ta], [b, tb]] : [[b, tb], [a, ta]]) as Array<[typeof a, number[]]>) {
      const t = now();
      await fn(row);
      into.push((now() - t) * 1000);
    }
  }
  return [ta, tb];
}

async function loadOrt(): Promise<Ort | null> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    note(`onnxruntime-node cannot be loaded (${(e as Error).message.split('\n')[0]}); suite onnx skipped`);
    return null;
  }
}

export async function runOnnxSuite(opts: SuiteOptions): Promise<Row[]> {
  const ort = await loadOrt();
  if (!ort) return [];
  const rows: Row[] = [];
  for (const c of [textCase(), tcnCase()]) {
    const bytes = await exportOnnx(c.model);
    progress(`${c.name}: exported ${(bytes.byteLength / 1024).toFixed(0)} KiB`);
    for (const threads of opts.threads) {
      setNumThreads(threads);
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      });
      try {
        // Inputs are prepared outside the timing (int64 ids, per-row slices), as the lstm suite does.
        const xb = c.vigil(0, BATCH), fb = c.ort(ort, 0, BATCH);
        const mine = (await c.model.predict(xb, { batchSize: BATCH })).data;
        const theirs = (await session.run(fb)).output!.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i]! - theirs[i]!) / Math.max(1, Math.abs(mine[i]!)));
        if (!(worst <= 1e-4)) {
          note(`${c.name}: vigil and onnxruntime disagree (${worst}); not timed`);
          continue;
        }
        const [tv, to] = await interleaved(() => c.model.predict(xb, { batchSize: BATCH }), () => session.run(fb), opts.repeats);
        // The same with each engine writing into an output array kept from call to call (vigil's
        // predict out option, onnxruntime's pre-allocated fetches), so no call faults in fresh pages.
        const outV = new Float32Array(mine.length), outO = new ort.Tensor('float32', new Float32Array(theirs.length), (await session.run(fb)).output!.dims);
        const fetches = { output: outO };
        const kept = (await session.run(fb, fetches)).output!.data === outO.data;
        if (!kept) note(`${c.name}: onnxruntime-node did not write into the pre-allocated output`);
        const [tvo, too] = await interleaved(() => c.model.predict(xb, { batchSize: BATCH, out: outV }), () => session.run(fb, fetches), opts.repeats);
        if (c.kernels) {
          const kernels = c.kernels;
          const [tk] = await interleaved(async () => kernels(), async () => undefined, opts.repeats);
          progress(`vigil-kernels t=${threads}: ${(BATCH / tk).toFixed(1)} rows/s at b${BATCH}`);
          rows.push({ suite: 'onnx', case: `${c.name} b${BATCH}`, impl: 'vigil-kernels', threads, metric: 'infer', unit: 'rows/s', value: BATCH / tk });
        }
        const one = Array.from({ length: BATCH }, (_, r) => ({ x: c.vigil(r, 1), f: c.ort(ort, r, 1) }));
        const [lv, lo] = await latencies((r) => c.model.predict(one[r]!.x), (r) => session.run(one[r]!.f));
        for (const [impl, t, lat] of [['vigil', tv, lv], ['onnxruntime-node', to, lo]] as const) {
          const [p50, p99] = [percentile(lat, 50), percentile(lat, 99)];
          progress(`${impl} t=${threads}: ${(BATCH / t).toFixed(1)} rows/s at b${BATCH} (${(BATCH / (impl === 'vigil' ? tvo : too)).toFixed(1)} into a kept output); b1 p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms (${lat.length} calls)`);
          rows.push(
            { suite: 'onnx', case: `${c.name} b${BATCH}`, impl, threads, metric: 'infer', unit: 'rows/s', value: BATCH / t },
            { suite: 'onnx', case: `${c.name} b${BATCH} out`, impl, threads, metric: 'infer', unit: 'rows/s', value: BATCH / (impl === 'vigil' ? tvo : too) },
            { suite: 'onnx', case: `${c.name} b1 p50`, impl, threads, metric: 'latency', unit: 'ms', value: p50 },
            { suite: 'onnx', case: `${c.name} b1 p99`, impl, threads, metric: 'latency', unit: 'ms', value: p99 },
          );
        }
      } finally {
        await session.release();
      }
    }
  }
  return rows;
}
