// Suite `conv1d`: a TCN stack, batch 64 x 1024 steps x 32 channels through 4 causal Conv1D layers of 64
// filters, kernel 3, dilations 1, 2, 4, 8, ReLU between them. Metrics `forward` and `train` (forward +
// backward of sum(y * g): dX, dW and db through all 4 layers, no optimizer step), sequences/s. vigil
// runs the ReLUs inside the convolutions (as its Conv1D layer does): stored with each output tile
// forward, the mask applied as the backward starts.
// Peers: PyTorch (child process; as installed, and with glibc's malloc keeping freed blocks), tfjs `cpu`
// backend (1 thread, first sequences of the same data).
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { conv1dBackwardAsync, conv1dForwardAsync, type Conv1dShape } from '../../ts/bindings/conv1d.ts';
import { randomUniform } from '../../ts/bindings/random.ts';
import { scratch } from '../data.ts';
import { measure, note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { measureTfjsTcn, type TcnConfig, type TfjsTcnPlan } from '../peers/tfjs_conv1d.ts';
import { loadTfjs } from '../peers/tfjs_lstm.ts';
import { runPeer, torchAvailable } from '../python.ts';

export const BATCH = 64;
export const TCN: TcnConfig = { time: 1024, inChannels: 32, filters: 64, kernelSize: 3, dilations: [1, 2, 4, 8] };
// tfjs `cpu` needs ~0.2 s per sequence forward and ~8 s per sequence to train this stack.
export const TFJS_PLAN: TfjsTcnPlan = { forwardBatch: 4, trainBatch: 1, repeats: 3 };
export const tcnCase = `tcn c32-4x64 k3 d1,2,4,8 causal b${BATCH} T${TCN.time}`;

interface TcnData {
  x: Float32Array;
  W: Float32Array[];
  b: Float32Array[];
  /** The gradient of the output, [batch, time, filters]. */
  g: Float32Array;
}

const cinOf = (l: number) => (l === 0 ? TCN.inChannels : TCN.filters);
const shapeOf = (l: number): Conv1dShape => ({
  batch: BATCH, time: TCN.time, inChannels: cinOf(l), outChannels: TCN.filters, kernelSize: TCN.kernelSize,
  dilation: TCN.dilations[l], padding: 'causal',
});

// vigil's Philox generator; weights and biases in PyTorch's default Conv1d range ±1/sqrt(fan_in).
function tcnData(seed = 4321): TcnData {
  const { time: T, inChannels: C, filters: Fo, kernelSize: K, dilations } = TCN;
  const bound = (l: number) => 1 / Math.sqrt(cinOf(l) * K);
  return {
    x: randomUniform(new Float32Array(BATCH * T * C), seed, 1, -1, 1),
    W: dilations.map((_, l) => randomUniform(new Float32Array(Fo * cinOf(l) * K), seed, 10 + l, -bound(l), bound(l))),
    b: dilations.map((_, l) => randomUniform(new Float32Array(Fo), seed, 20 + l, -bound(l), bound(l))),
    g: randomUniform(new Float32Array(BATCH * T * Fo), seed, 2, -1, 1),
  };
}

// Output positions [b, t, o] compared across impls: the first 8 near the causal edge (also checked
// against a float64 recomputation), the rest deep in the sequences; b < 4 for the tfjs sub-batch.
const CHECK: Array<[number, number, number]> = Array.from({ length: 16 }, (_, s) => [
  s < 12 ? s % 4 : (s * 13) % BATCH, s < 8 ? [0, 1, 2, 5, 9, 17, 30, 63][s] : [100, 511, 777, 1023][s % 4], (s * 17) % TCN.filters,
]);
const CHECK_W: Array<[number, number, number]> = Array.from({ length: 8 }, (_, s) => [(s * 11) % TCN.filters, (s * 5) % TCN.inChannels, s % TCN.kernelSize]);

/** Float64 stack over the first `steps` steps of sequence b (causal: later steps do not matter). */
function referencePrefix(d: TcnData, b: number, steps: number): Float64Array {
  const { time: T, filters: Fo, kernelSize: K, dilations } = TCN;
  let h = Float64Array.from(d.x.subarray(b * T * TCN.inChannels, (b * T + steps) * TCN.inChannels));
  dilations.forEach((dil, l) => {
    const C = cinOf(l), W = d.W[l], out = new Float64Array(steps * Fo);
    for (let t = 0; t < steps; t++) {
      for (let o = 0; o < Fo; o++) {
        let s = d.b[l][o];
        for (let k = 0; k < K; k++) {
          const u = t + (k - (K - 1)) * dil;
          if (u < 0) continue;
          for (let c = 0; c < C; c++) s += W[(o * C + c) * K + k] * h[u * C + c];
        }
        out[t * Fo + o] = l < dilations.length - 1 ? Math.max(s, 0) : s;
      }
    }
    h = out;
  });
  return h;
}

/** The first wrong position of y against the float64 stack, or null. */
function spotCheck(d: TcnData, y: Float32Array): string | null {
  for (const [b, t, o] of CHECK.slice(0, 8)) {
    const ref = referencePrefix(d, b, t + 1)[t * TCN.filters + o];
    const got = y[(b * TCN.time + t) * TCN.filters + o];
    if (!(Math.abs(got - ref) <= 1e-4 * Math.max(1, Math.abs(ref)))) return `y[${b},${t},${o}] = ${got}, expected ${ref}`;
  }
  return null;
}

/** Positions where another impl's values differ from vigil's by more than 1e-3 (relative to max(1, |v|)). */
function disagreement(mine: number[], theirs: number[], where: Array<[number, number, number]>): string | null {
  for (let i = 0; i < mine.length; i++) {
    if (!(Math.abs(mine[i] - theirs[i]) <= 1e-3 * Math.max(1, Math.abs(mine[i])))) return `[${where[i].join(',')}]: ${theirs[i]} vs vigil ${mine[i]}`;
  }
  return null;
}

interface VigilTcn {
  forward(): Promise<Float32Array>;
  train(): Promise<void>;
  dW0: Float32Array;
}

// The stack through the async bindings the Conv1D layer calls: conv1dForward with the ReLU applied
// as the tiles are stored, ..., then backward from g: conv1dBackward with the ReLU's mask (dX, dW,
// db and the masked gradient) down to the input.
function vigilTcn(d: TcnData): VigilTcn {
  const L = TCN.dilations.length, n = BATCH * TCN.time * TCN.filters;
  const out = TCN.dilations.map(() => new Float32Array(n));
  const dW = d.W.map((w) => new Float32Array(w.length)), db = d.b.map((b) => new Float32Array(b.length));
  // Input gradients of the upper layers alternate between two buffers; dZ takes each masked gradient.
  const dX0 = new Float32Array(d.x.length), dIn = [new Float32Array(n), new Float32Array(n)], dZ = new Float32Array(n);
  const act = (l: number) => (l < L - 1 ? 'relu' : 'linear');
  const forward = async () => {
    for (let l = 0; l < L; l++) await conv1dForwardAsync(shapeOf(l), l === 0 ? d.x : out[l - 1], d.W[l], d.b[l], out[l], act(l));
    return out[L - 1];
  };
  const train = async () => {
    await forward();
    let g = d.g;
    for (let l = L - 1; l >= 0; l--) {
      const dX = l === 0 ? dX0 : dIn[l % 2];
      await conv1dBackwardAsync(shapeOf(l), l === 0 ? d.x : out[l - 1], d.W[l], g, dX, dW[l], db[l], act(l) === 'relu' ? { out: out[l], dZ } : null);
      g = dX;
    }
  };
  return { forward, train, dW0: dW[0] };
}

function rowsOf(impl: string, threads: number, r: { forward: number; train: number }): Row[] {
  return (['forward', 'train'] as const).map((metric) => {
    progress(`${impl} t=${threads} ${metric}: ${r[metric].toFixed(2)} seq/s`);
    return { suite: 'conv1d', case: tcnCase, impl, threads, metric, unit: 'seq/s', value: r[metric] };
  });
}

const at = (y: Float32Array, [b, t, o]: [number, number, number]) => y[(b * TCN.time + t) * TCN.filters + o];
const atW = (w: Float32Array, [o, c, k]: [number, number, number]) => w[(o * TCN.inChannels + c) * TCN.kernelSize + k];

async function vigilRows(opts: SuiteOptions, d: TcnData): Promise<{ rows: Row[]; y: number[]; dW0: number[] } | null> {
  const stack = vigilTcn(d);
  const y = await stack.forward();
  const bad = spotCheck(d, y);
  if (bad) {
    note(`vigil conv1d gives wrong results (${bad}); not timed`);
    return null;
  }
  const yCheck = CHECK.map((p) => at(y, p));
  await stack.train();
  const dW0 = CHECK_W.map((p) => atW(stack.dW0, p));
  const rows: Row[] = [];
  for (const threads of opts.threads) {
    setNumThreads(threads);
    const forward = await measure(() => stack.forward(), opts.repeats);
    const train = await measure(() => stack.train(), opts.repeats);
    rows.push(...rowsOf('vigil', threads, { forward: BATCH / forward.seconds, train: BATCH / train.seconds }));
  }
  return { rows, y: yCheck, dW0 };
}

function pytorchRows(opts: SuiteOptions, d: TcnData, mine: { y: number[]; dW0: number[] }): Row[] {
  const torch = torchAvailable();
  if (!torch.ok) {
    note(`pytorch skipped: ${torch.why}`);
    return [];
  }
  const tmp = scratch();
  const rows: Row[] = [];
  try {
    const files = {
      x: tmp.write('x.f32', d.x), g: tmp.write('g.f32', d.g),
      w: d.W.map((w, l) => tmp.write(`w${l}.f32`, w)), b: d.b.map((b, l) => tmp.write(`b${l}.f32`, b)),
    };
    // 'pytorch' as installed, and 'pytorch-heap' with glibc keeping its freed activations (see the peer's
    // docstring: fresh pages are very expensive on this VM, which otherwise dominates PyTorch's time).
    for (const [impl, heapMalloc] of [['pytorch', false], ['pytorch-heap', true]] as const) {
      for (const threads of opts.threads) {
        try {
          const out = runPeer<{ forward: number; train: number; y: number[]; dW0: number[] }>('pytorch_conv1d.py', {
            threads, repeats: opts.repeats, batch: BATCH, ...TCN, ...files, check: CHECK, checkW: CHECK_W, heapMalloc,
          });
          const off = disagreement(mine.y, out.y, CHECK) ?? disagreement(mine.dW0, out.dW0, CHECK_W);
          if (off) note(`${impl} and vigil disagree at ${off}`);
          rows.push(...rowsOf(impl, threads, out));
        } catch (e) {
          note(`${impl} conv1d t=${threads} failed: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    tmp.dispose();
  }
  return rows;
}

async function tfjsRows(opts: SuiteOptions, d: TcnData, mine: { y: number[] }): Promise<Row[]> {
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
  const plan = { ...TFJS_PLAN, repeats: Math.min(TFJS_PLAN.repeats, opts.repeats) };
  progress(`tfjs: forward on ${plan.forwardBatch} and training on ${plan.trainBatch} of the ${BATCH} sequences, median of ${plan.repeats}`);
  try {
    const r = await measureTfjsTcn(loaded.tf, TCN, d, plan);
    const inBatch = CHECK.map((p, i) => [p, i] as const).filter(([p]) => p[0] < plan.forwardBatch);
    const off = disagreement(inBatch.map(([, i]) => mine.y[i]), inBatch.map(([p]) => at(r.y, p)), inBatch.map(([p]) => p));
    if (off) note(`tfjs and vigil disagree at ${off}`);
    return rowsOf('tfjs', 1, r);
  } catch (e) {
    note(`tfjs conv1d failed: ${(e as Error).message}`);
    return [];
  }
}

export async function runConv1dSuite(opts: SuiteOptions): Promise<Row[]> {
  const d = tcnData();
  const vigil = await vigilRows(opts, d);
  if (vigil === null) return [];
  return [...vigil.rows, ...pytorchRows(opts, d, vigil), ...(await tfjsRows(opts, d, vigil))];
}
