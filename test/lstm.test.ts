import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simdPaths, withSimd } from './helpers/simd.ts';
import { throwsError } from './helpers/errors.ts';
import { readFileSync } from 'node:fs';
import { rng, randomF32, maxRelErr } from './helpers/random.ts';
import {
  lstmBackward, lstmBackwardAsync, lstmCacheSize, lstmFoldEmbedding, lstmFoldEmbeddingAsync, lstmForward,
  lstmForwardAsync, lstmUnfoldGradient, lstmUnfoldGradientAsync,
} from '../ts/bindings/lstm.ts';
import type { LstmBackwardOptions, LstmForwardOptions } from '../ts/bindings/lstm.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { lstmRefBackward, lstmRefForward, randomCase, validRange } from './reference/lstm.ts';
import { maxOverSteps } from './helpers/max_pooled.ts';
import type { CaseSpec, RefArgs, RefGrads } from './reference/lstm.ts';

type Case = RefArgs & { V: number };
const nan = (n: number) => new Float32Array(n).fill(Number.NaN);
const F = (a: ArrayLike<number> | null | undefined) => (a ?? undefined) as Float32Array | undefined;

interface Run {
  out: Float32Array; hLast: Float32Array; cLast: Float32Array; cache: Float32Array | null;
  grads?: Record<string, Float32Array>;
}

function forwardOptions(a: Case, training: boolean): LstmForwardOptions {
  const { B, T, H } = a;
  return {
    batch: B, time: T, hidden: H, input: a.I, x: F(a.x), wIh: F(a.wIh), bias: F(a.bias),
    tokens: a.tokens as Int32Array | undefined, table: F(a.table), vocab: a.tokens ? a.V : undefined,
    wHh: a.wHh as Float32Array, h0: F(a.h0), c0: F(a.c0), lengths: a.lengths as Int32Array | undefined,
    padding: a.padding, training, dropout: a.dropout, seed: a.seed, stream: a.stream,
    cache: training ? nan(lstmCacheSize(B, T, H)) : null,
    out: nan(B * T * H), hLast: nan(B * H), cLast: nan(B * H),
  };
}

function gradOutputs(a: Case): Record<string, Float32Array> {
  const { B, T, I, H } = a, G = 4 * H;
  const g: Record<string, Float32Array> = { dWHh: nan(G * H), dBias: nan(G), dh0: nan(B * H), dc0: nan(B * H) };
  if (a.tokens) g.dTable = nan(a.V * G);
  else {
    g.dX = nan(B * T * I);
    g.dWIh = nan(G * I);
  }
  return g;
}

function backwardOptions(a: Case, cache: Float32Array, loss: Loss, g: Record<string, Float32Array>): LstmBackwardOptions {
  return {
    batch: a.B, time: a.T, hidden: a.H, input: a.I, x: F(a.x), wIh: F(a.wIh),
    tokens: a.tokens as Int32Array | undefined, vocab: a.tokens ? a.V : undefined, wHh: a.wHh as Float32Array,
    h0: F(a.h0), c0: F(a.c0), lengths: a.lengths as Int32Array | undefined, padding: a.padding,
    dropout: a.dropout, seed: a.seed, stream: a.stream, cache, dY: loss.R, dHlast: loss.R2, dCn: loss.R3, ...g,
  };
}

function runNative(a: Case, training: boolean, loss?: Loss): Run {
  const o = forwardOptions(a, training);
  lstmForward(o);
  const run: Run = { out: o.out!, hLast: o.hLast!, cLast: o.cLast!, cache: o.cache ?? null };
  if (loss) {
    run.grads = gradOutputs(a);
    lstmBackward(backwardOptions(a, run.cache!, loss, run.grads));
  }
  return run;
}

interface Loss { R: Float32Array; R2: Float32Array; R3: Float32Array }
function randomLoss(r: () => number, a: Case): Loss {
  return { R: randomF32(r, a.B * a.T * a.H), R2: randomF32(r, a.B * a.H), R3: randomF32(r, a.B * a.H) };
}

function lossOf(a: RefArgs, l: Loss): number {
  const o = lstmRefForward(a);
  let s = 0;
  for (let i = 0; i < o.y.length; i++) s += o.y[i] * l.R[i];
  for (let i = 0; i < o.hLast.length; i++) s += o.hLast[i] * l.R2[i] + o.cLast[i] * l.R3[i];
  return s;
}

// Central differences in float64 on the reference loss for every parameter (h0/c0 absent are
// checked as explicit zeros, which is the same function).
function checkReferenceByFiniteDifferences(a: Case, l: Loss, ref: RefGrads, what: string): void {
  const a64: RefArgs = { ...a };
  const pairs: Array<[keyof RefArgs, keyof RefGrads]> = a.tokens
    ? [['table', 'dTable'], ['wHh', 'dWHh'], ['h0', 'dh0'], ['c0', 'dc0']]
    : [['x', 'dX'], ['wIh', 'dWIh'], ['bias', 'dBias'], ['wHh', 'dWHh'], ['h0', 'dh0'], ['c0', 'dc0']];
  for (const [p, gk] of pairs) {
    const src = (a[p] as ArrayLike<number> | undefined) ?? new Float64Array(a.B * a.H);
    const v = Float64Array.from(src);
    (a64 as unknown as Record<string, unknown>)[p] = v;
    // Every element of small parameters, a seeded sample of 120 of larger ones.
    const pick = rng(v.length);
    const idx = v.length <= 120 ? v.map((_, i) => i) : Float64Array.from({ length: 120 }, () => Math.floor(pick() * v.length));
    const fd = Float64Array.from(ref[gk]!);
    const eps = 1e-6;
    for (const i of idx) {
      const keep = v[i];
      v[i] = keep + eps;
      const lp = lossOf(a64, l);
      v[i] = keep - eps;
      const lm = lossOf(a64, l);
      v[i] = keep;
      fd[i] = (lp - lm) / (2 * eps);
    }
    const err = maxRelErr(ref[gk]!, fd);
    assert.ok(err < 1e-6, `${what}: reference ${gk} vs finite differences: ${err}`);
  }
}

function isPadded(a: Case, b: number, t: number): boolean {
  const [s, e] = validRange(a, b);
  return t < s || t >= e;
}

function checkForward(a: Case, run: Run, what: string): void {
  const ref = lstmRefForward(a);
  for (const [name, got] of [['out', run.out], ['hLast', run.hLast], ['cLast', run.cLast]] as const) {
    for (let i = 0; i < got.length; i++) assert.ok(Number.isFinite(got[i]), `${what}: ${name}[${i}] not written`);
  }
  assert.ok(maxRelErr(run.out, ref.y) < 1e-5, `${what}: out ${maxRelErr(run.out, ref.y)}`);
  assert.ok(maxRelErr(run.hLast, ref.hLast) < 1e-5, `${what}: hLast`);
  assert.ok(maxRelErr(run.cLast, ref.cLast) < 1e-5, `${what}: cLast`);
  for (let b = 0; b < a.B; b++)
    for (let t = 0; t < a.T; t++)
      if (isPadded(a, b, t))
        for (let j = 0; j < a.H; j++) assert.is(run.out[(b * a.T + t) * a.H + j], 0, `${what}: padded output`);
}

const cases: Array<[string, CaseSpec]> = [
  ['B=1 T=1 H=5 dense', { B: 1, T: 1, I: 3, H: 5, G: 20 }],
  ['dense pre lengths h0 c0 dropout H=5', { B: 4, T: 6, I: 4, H: 5, G: 20, lengths: true, padding: 'pre', h0: true, c0: true, dropout: 0.3 }],
  ['dense post lengths dropout H=13', { B: 4, T: 5, I: 2, H: 13, G: 52, lengths: true, padding: 'post', dropout: 0.25 }],
  ['gather pre lengths h0 c0 dropout H=9', { B: 3, T: 4, I: 0, H: 9, G: 36, V: 6, gather: true, lengths: true, padding: 'pre', h0: true, c0: true, dropout: 0.4 }],
  ['gather post lengths H=8 B=5', { B: 5, T: 3, I: 0, H: 8, G: 32, V: 4, gather: true, lengths: true, padding: 'post' }],
  ['gather B=1 T=1 H=13', { B: 1, T: 1, I: 0, H: 13, G: 52, V: 3, gather: true, h0: true }],
  ['dense H=16 full lengths', { B: 3, T: 7, I: 5, H: 16, G: 64, h0: true }],
  ['gather H=1 pre lengths dropout', { B: 3, T: 3, I: 0, H: 1, G: 4, V: 3, gather: true, lengths: true, h0: true, c0: true, dropout: 0.5 }],
  ['dense H=21 I=9 post', { B: 2, T: 4, I: 9, H: 21, G: 84, lengths: true, padding: 'post', c0: true }],
  // Several row tiles and a tail, three 16-unit gate panels with the last one partial (AVX-512).
  ['gather H=37 B=14 pre lengths h0 c0 dropout', { B: 14, T: 4, I: 0, H: 37, G: 148, V: 7, gather: true, lengths: true, padding: 'pre', h0: true, c0: true, dropout: 0.3 }],
];

test('forward (inference) equals the float64 reference; padded outputs are 0', () => {
  const r = rng(1);
  for (const [name, spec] of cases) {
    const a = randomCase(r, { ...spec, dropout: 0 });
    checkForward(a, runNative(a, false), name);
    // Dropout is ignored outside training.
    const d = { ...a, dropout: 0.5 };
    const run = runNative(d, false);
    checkForward(a, run, `${name} (dropout ignored)`);
  }
});

test('training forward with recurrent dropout equals the reference', () => {
  const r = rng(2);
  for (const [name, spec] of cases) {
    const a = randomCase(r, spec);
    checkForward(a, runNative(a, true), name);
  }
});

test('reference gradients match finite differences; native gradients match the reference', () => {
  const r = rng(3);
  for (const [name, spec] of cases) {
    const a = randomCase(r, spec);
    const l = randomLoss(r, a);
    const ref = lstmRefBackward(a, lstmRefForward(a), l.R, l.R2, l.R3);
    checkReferenceByFiniteDifferences(a, l, ref, name);
    const run = runNative(a, true, l);
    for (const [k, got] of Object.entries(run.grads!)) {
      for (let i = 0; i < got.length; i++) assert.ok(Number.isFinite(got[i]), `${name}: ${k}[${i}] not written`);
      const err = maxRelErr(got, ref[k as keyof RefGrads]!);
      assert.ok(err < 1e-3, `${name}: native ${k} vs reference: ${err}`);
    }
    if (run.grads!.dX) {
      for (let b = 0; b < a.B; b++)
        for (let t = 0; t < a.T; t++)
          if (isPadded(a, b, t))
            for (let k = 0; k < a.I; k++) assert.is(run.grads!.dX[(b * a.T + t) * a.I + k], 0);
    }
  }
});

test('long batches: weight gradients summed over row blocks match the reference', () => {
  // B*T > 2048 rows: dTable and dW_hh (and dW_ih) are summed over several row blocks in parallel.
  const r = rng(14);
  for (const spec of [
    { B: 40, T: 60, I: 0, H: 5, G: 20, V: 7, gather: true, lengths: true, padding: 'pre' },
    { B: 36, T: 64, I: 3, H: 7, G: 28, lengths: true, padding: 'post', dropout: 0.2 },
  ] as CaseSpec[]) {
    const a = randomCase(r, spec);
    const l = randomLoss(r, a);
    const ref = lstmRefBackward(a, lstmRefForward(a), l.R, l.R2, l.R3);
    const run = runNative(a, true, l);
    for (const [k, got] of Object.entries(run.grads!)) {
      const err = maxRelErr(got, ref[k as keyof RefGrads]!);
      assert.ok(err < 1e-3, `native ${k} vs reference: ${err}`);
    }
  }
});

test('loss on the last step only (dY null) and partial gradient outputs', () => {
  const r = rng(4);
  const a = randomCase(r, { B: 3, T: 5, I: 3, H: 6, G: 24, lengths: true, padding: 'post', h0: true, c0: true });
  const l = randomLoss(r, a);
  const ref = lstmRefBackward(a, lstmRefForward(a), null, l.R2, null);
  const o = forwardOptions(a, true);
  lstmForward(o);
  const dWHh = nan(24 * 6), dh0 = nan(18);
  lstmBackward({ ...backwardOptions(a, o.cache!, l, {}), dY: null, dCn: null, dWHh, dh0 });
  assert.ok(maxRelErr(dWHh, ref.dWHh) < 1e-3);
  assert.ok(maxRelErr(dh0, ref.dh0) < 1e-3);
});

test('all lengths 0: outputs 0, final state = initial state, gradients pass straight through', () => {
  const r = rng(13);
  const a = randomCase(r, { B: 3, T: 4, I: 0, H: 5, G: 20, V: 4, gather: true, h0: true, c0: true, dropout: 0.3 });
  a.lengths = new Int32Array(3);
  const l = randomLoss(r, a);
  const run = runNative(a, true, l);
  assert.ok(run.out.every((v) => v === 0));
  assert.equal(Array.from(run.hLast), Array.from(a.h0!));
  assert.equal(Array.from(run.cLast), Array.from(a.c0!));
  assert.equal(Array.from(run.grads!.dh0), Array.from(l.R2));
  assert.equal(Array.from(run.grads!.dc0), Array.from(l.R3));
  for (const k of ['dWHh', 'dBias', 'dTable']) assert.ok(run.grads![k].every((v) => v === 0), k);
});

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

test('results are bit-identical for 1, 2 and 3 threads', () => {
  const before = getNumThreads();
  const r = rng(5);
  for (const spec of [
    { B: 11, T: 9, I: 6, H: 13, G: 52, lengths: true, padding: 'pre', h0: true, c0: true, dropout: 0.2 },
    { B: 9, T: 8, I: 0, H: 16, G: 64, V: 10, gather: true, lengths: true, padding: 'post' },
    { B: 20, T: 5, I: 3, H: 33, G: 132, lengths: true, padding: 'post', h0: true, dropout: 0.1 },
    { B: 40, T: 60, I: 0, H: 5, G: 20, V: 7, gather: true, lengths: true, padding: 'pre' },
  ] as CaseSpec[]) {
    const a = randomCase(r, spec);
    const l = randomLoss(r, a);
    const runs = [1, 2, 3].map((n) => {
      setNumThreads(n);
      return runNative(a, true, l);
    });
    setNumThreads(before);
    for (const run of runs.slice(1)) {
      assert.ok(bytes(run.out).equals(bytes(runs[0].out)));
      assert.ok(bytes(run.cache!).equals(bytes(runs[0].cache!)));
      assert.ok(bytes(run.hLast).equals(bytes(runs[0].hLast)));
      for (const k of Object.keys(run.grads!)) assert.ok(bytes(run.grads![k]).equals(bytes(runs[0].grads![k])), k);
    }
  }
});

test('every slower SIMD path agrees with the best one', () => {
  const r = rng(6);
  const a = randomCase(r, { B: 5, T: 6, I: 4, H: 13, G: 52, lengths: true, h0: true, c0: true, dropout: 0.3 });
  const l = randomLoss(r, a);
  const fast = runNative(a, true, l);
  for (const level of simdPaths().slice(1)) {
    const slow = withSimd(level, () => runNative(a, true, l));
    assert.ok(maxRelErr(slow.out, fast.out) < 1e-5);
    for (const k of Object.keys(fast.grads!)) assert.ok(maxRelErr(slow.grads![k], fast.grads![k]) < 1e-4, k);
  }
});

test('outMax (fused GlobalMaxPooling1D) is the max of out over the valid steps: every path, 1-3 threads, without out', () => {
  const before = getNumThreads();
  const r = rng(21);
  const specs: CaseSpec[] = [
    ...cases.map(([, spec]) => ({ ...spec, dropout: 0 })),
    // Rows of mixed lengths dealt to the threads by length; H not a multiple of 8 or 16.
    { B: 40, T: 30, I: 0, H: 37, G: 148, V: 9, gather: true, lengths: true, padding: 'pre', h0: true, c0: true },
    { B: 23, T: 17, I: 5, H: 21, G: 84, lengths: true, padding: 'post' },
    { B: 7, T: 9, I: 3, H: 8, G: 32 },
  ];
  try {
    for (const [n, spec] of specs.entries()) {
      const a = randomCase(r, spec);
      for (const level of simdPaths()) {
        for (const threads of [1, 2, 3]) {
          setNumThreads(threads);
          const what = `case ${n} ${level} t=${threads}`;
          const full = { ...forwardOptions(a, false), outMax: nan(a.B * a.H) };
          withSimd(level, () => lstmForward(full));
          const want = maxOverSteps(a, full.out!);
          assert.ok(bytes(full.outMax).equals(bytes(want)), `${what}: outMax with out`);
          // Only the pooled output (the predict path): the same bits, hLast and cLast unchanged.
          const pooled = { ...forwardOptions(a, false), out: null, outMax: nan(a.B * a.H) };
          withSimd(level, () => lstmForward(pooled));
          assert.ok(bytes(pooled.outMax).equals(bytes(want)), `${what}: outMax without out`);
          assert.ok(bytes(pooled.hLast!).equals(bytes(full.hLast!)), `${what}: hLast`);
          assert.ok(bytes(pooled.cLast!).equals(bytes(full.cLast!)), `${what}: cLast`);
        }
      }
    }
  } finally {
    setNumThreads(before);
  }
});

test('forward outputs that share memory with each other or with an input are a RangeError naming both', () => {
  const r = rng(22);
  const a = randomCase(r, { B: 3, T: 4, I: 2, H: 5, G: 20, h0: true, c0: true });
  const base = forwardOptions(a, false);
  const out = base.out!;
  // outMax inside out, hLast over wHh, cLast over h0: each would be written while read.
  assert.throws(() => lstmForward({ ...base, outMax: out.subarray(0, a.B * a.H) }), (e: Error) =>
    e instanceof RangeError && /outMax/.test(e.message) && /out\b/.test(e.message));
  const wHh = new Float32Array(Math.max(a.B * a.H, base.wHh.length));
  wHh.set(base.wHh);
  assert.throws(() => lstmForward({ ...base, wHh: wHh.subarray(0, base.wHh.length), hLast: wHh.subarray(0, a.B * a.H) }), (e: Error) =>
    e instanceof RangeError && /hLast/.test(e.message) && /wHh/.test(e.message));
  const h0 = base.h0!;
  assert.throws(() => lstmForward({ ...base, cLast: h0 }), (e: Error) => e instanceof RangeError && /cLast/.test(e.message) && /h0/.test(e.message));
  // Inputs may share memory (the same zeros as h0 and c0).
  lstmForward({ ...base, c0: h0 });
});

test('gather mode equals dense mode through the folded embedding; unfold gives the dense gradients', () => {
  const r = rng(7);
  const B = 4, T = 5, E = 3, H = 6, G = 24, V = 5;
  const emb = randomF32(r, V * E), wIh = randomF32(r, G * E, -0.6, 0.6), bias = randomF32(r, G, -0.5, 0.5);
  const wHh = randomF32(r, G * H, -0.6, 0.6);
  const tokens = new Int32Array(B * T).map(() => Math.floor(r() * V));
  const table = nan(V * G);
  lstmFoldEmbedding(V, E, H, emb, wIh, bias, table);
  const x = new Float32Array(B * T * E);
  for (let i = 0; i < B * T; i++) x.set(emb.subarray(tokens[i] * E, tokens[i] * E + E), i * E);
  const common = { B, T, H, wHh, lengths: Int32Array.from([5, 2, 0, 4]), padding: 'pre' as const, dropout: 0.2, seed: 9, stream: 1 };
  const dense: Case = { ...common, I: E, V: 0, x, wIh, bias };
  const gather: Case = { ...common, I: 0, V, tokens, table };
  const l = randomLoss(r, dense);
  const rd = runNative(dense, true, l), rg = runNative(gather, true, l);
  assert.ok(maxRelErr(rg.out, rd.out) < 1e-5);
  assert.ok(maxRelErr(rg.hLast, rd.hLast) < 1e-5);
  const dEmb = nan(V * E), dWIh = nan(G * E), dBias = nan(G);
  lstmUnfoldGradient(V, E, H, emb, wIh, rg.grads!.dTable, dEmb, dWIh, dBias);
  const dEmbDense = new Float64Array(V * E);
  for (let i = 0; i < B * T; i++) for (let k = 0; k < E; k++) dEmbDense[tokens[i] * E + k] += rd.grads!.dX[i * E + k];
  assert.ok(maxRelErr(dEmb, dEmbDense) < 1e-4, 'dEmb');
  assert.ok(maxRelErr(dWIh, rd.grads!.dWIh) < 1e-4, 'dWIh');
  assert.ok(maxRelErr(dBias, rd.grads!.dBias) < 1e-4, 'dBias');
  assert.ok(maxRelErr(rg.grads!.dBias, rd.grads!.dBias) < 1e-4, 'gather dBias');
  assert.ok(maxRelErr(rg.grads!.dWHh, rd.grads!.dWHh) < 1e-4, 'dWHh');
});

test('gate sigmoid is accurate to ~1e-6 relative over [-30, 30] (AVX2 and portable)', () => {
  // T = 1, c0 = 0, wHh = 0 and g saturated (tanh(20) = 1 in float32): cLast = sigmoid(i-gate input).
  const H = 8, B = 1000, G = 4 * H;
  const table = new Float32Array(B * G);
  const xs = new Float32Array(B * H);
  for (let k = 0; k < B * H; k++) xs[k] = Math.fround(-30 + (60 * k) / (B * H - 1));
  // One table row per sequence (vocab = B): tokens pick row b.
  for (let b = 0; b < B; b++)
    for (let j = 0; j < H; j++) {
      table[b * G + j] = xs[b * H + j];
      table[b * G + 2 * H + j] = 20;
    }
  const tokens = Int32Array.from({ length: B }, (_, b) => b);
  for (const level of simdPaths()) {
    const cLast = nan(B * H);
    withSimd(level, () => lstmForward({ batch: B, time: 1, hidden: H, tokens, table, vocab: B, wHh: new Float32Array(G * H), cLast }));
    let worst = 0;
    for (let k = 0; k < B * H; k++) {
      const want = 1 / (1 + Math.exp(-xs[k]));
      worst = Math.max(worst, Math.abs(cLast[k] - want) / want);
    }
    assert.ok(worst < 2e-6, `sigmoid relative error ${worst} (${level})`);
  }
});

test('cell tanh is accurate to ~1e-6 relative, tiny inputs included (every path)', () => {
  // T = 1, c0 = 0, wHh = 0 and the input gate saturated (sigmoid(20) = 1 in float32):
  // cLast = tanh(g-gate input) exactly as the cell computes it.
  const H = 16, B = 500, G = 4 * H;
  const table = new Float32Array(B * G);
  const xs = new Float32Array(B * H);
  for (let k = 0; k < B * H; k++) {
    const u = k / (B * H - 1);
    xs[k] = Math.fround(k % 2 === 0 ? -12 + 24 * u : (k % 4 === 1 ? 1 : -1) * 10 ** (-30 + 30 * u));
  }
  for (let b = 0; b < B; b++)
    for (let j = 0; j < H; j++) {
      table[b * G + j] = 20;
      table[b * G + 2 * H + j] = xs[b * H + j];
    }
  const tokens = Int32Array.from({ length: B }, (_, b) => b);
  for (const level of simdPaths()) {
    const cLast = nan(B * H);
    withSimd(level, () => lstmForward({ batch: B, time: 1, hidden: H, tokens, table, vocab: B, wHh: new Float32Array(G * H), cLast }));
    let worst = 0;
    for (let k = 0; k < B * H; k++) {
      const want = Math.tanh(xs[k]);
      worst = Math.max(worst, want === 0 ? Math.abs(cLast[k]) : Math.abs(cLast[k] - want) / Math.abs(want));
    }
    assert.ok(worst < 2e-6, `tanh relative error ${worst} (${level})`);
  }
});

interface TorchCase {
  name: string; B: number; T: number; I: number; H: number; padding?: 'pre' | 'post';
  x: number[]; wIh: number[]; wHh: number[]; bias: number[]; h0?: number[]; c0?: number[]; lengths?: number[];
  y: number[]; hLast: number[]; cLast?: number[];
}

test('matches torch.nn.LSTM fixtures (incl. a packed sequence)', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/lstm_torch.json', import.meta.url), 'utf8')) as TorchCase[];
  assert.ok(fx.length >= 3);
  for (const c of fx) {
    const a: Case = {
      B: c.B, T: c.T, I: c.I, H: c.H, V: 0, x: Float32Array.from(c.x), wIh: Float32Array.from(c.wIh),
      wHh: Float32Array.from(c.wHh), bias: Float32Array.from(c.bias), h0: c.h0 && Float32Array.from(c.h0),
      c0: c.c0 && Float32Array.from(c.c0), lengths: c.lengths && Int32Array.from(c.lengths), padding: c.padding ?? 'post',
    };
    const run = runNative(a, false);
    const diff = (p: Float32Array, q: number[]) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
    assert.ok(diff(run.out, c.y) <= 1e-5, `${c.name}: y ${diff(run.out, c.y)}`);
    assert.ok(diff(run.hLast, c.hLast) <= 1e-5, `${c.name}: hLast`);
    assert.ok(diff(run.cLast, c.cLast!) <= 1e-5, `${c.name}: cLast`);
  }
});

// ---- bad inputs ----

function validForward(): LstmForwardOptions {
  const a = randomCase(rng(8), { B: 2, T: 3, I: 2, H: 3, G: 12, lengths: true });
  return forwardOptions(a, true);
}
function validGather(): LstmForwardOptions {
  const a = randomCase(rng(9), { B: 2, T: 3, I: 0, H: 3, G: 12, V: 4, gather: true });
  return forwardOptions(a, false);
}
function validBackward(): LstmBackwardOptions {
  const a = randomCase(rng(10), { B: 2, T: 3, I: 2, H: 3, G: 12, lengths: true });
  const o = forwardOptions(a, true);
  lstmForward(o);
  return backwardOptions(a, o.cache!, randomLoss(rng(11), a), gradOutputs(a));
}
function detached(n: number): Float32Array {
  const b = new Float32Array(n);
  structuredClone(b.buffer, { transfer: [b.buffer] });
  return b;
}

type Bad = [string, Record<string, unknown>, typeof TypeError | typeof RangeError];
const badForward: Bad[] = [
  ['batch 0', { batch: 0 }, RangeError],
  ['batch -1', { batch: -1 }, RangeError],
  ['batch 1.5', { batch: 1.5 }, RangeError],
  ['batch NaN', { batch: Number.NaN }, RangeError],
  ['batch string', { batch: '2' }, TypeError],
  ['hidden 0', { hidden: 0 }, RangeError],
  ['batch * time too large', { batch: 2 ** 30, time: 2 ** 30 }, RangeError],
  ['hidden too large', { hidden: 2 ** 34 }, RangeError],
  ['time 0', { time: 0 }, RangeError],
  ['input 0 (dense)', { input: 0 }, RangeError],
  ['x wrong type', { x: new Float64Array(12) }, TypeError],
  ['x wrong length', { x: new Float32Array(11) }, RangeError],
  ['x NaN', { x: new Float32Array(12).fill(Number.NaN) }, RangeError],
  ['x detached', { x: detached(12) }, TypeError],
  ['wHh short', { wHh: new Float32Array(35) }, RangeError],
  ['wHh Array', { wHh: Array(36).fill(0) }, TypeError],
  ['bias Infinity', { bias: new Float32Array(12).fill(Infinity) }, RangeError],
  ['h0 wrong length', { h0: new Float32Array(5) }, RangeError],
  ['lengths > T', { lengths: Int32Array.from([4, 1]) }, RangeError],
  ['lengths < 0', { lengths: Int32Array.from([-1, 1]) }, RangeError],
  ['lengths Float32Array', { lengths: new Float32Array(2) }, TypeError],
  ['padding bad string', { padding: 'middle' }, RangeError],
  ['padding number', { padding: 1 }, TypeError],
  ['dropout 1', { dropout: 1 }, RangeError],
  ['dropout -0.1', { dropout: -0.1 }, RangeError],
  ['dropout NaN', { dropout: Number.NaN }, RangeError],
  ['seed negative', { seed: -1 }, RangeError],
  ['training without cache', { cache: null }, TypeError],
  ['cache wrong length', { cache: new Float32Array(10) }, RangeError],
  ['cache detached', { cache: detached(lstmCacheSize(2, 3, 3)) }, TypeError],
  ['out wrong length', { out: new Float32Array(17) }, RangeError],
  ['hLast wrong type', { hLast: new Int32Array(6) }, TypeError],
  ['returnSequences without out', { returnSequences: true, out: null }, TypeError],
  ['training not boolean', { training: 1 }, TypeError],
  ['tokens in dense mode', { tokens: new Int32Array(6) }, TypeError],
];
const badGather: Bad[] = [
  ['token = V', { tokens: Int32Array.from([0, 1, 2, 3, 4, 0]) }, RangeError],
  ['token < 0', { tokens: Int32Array.from([0, 1, -1, 3, 0, 0]) }, RangeError],
  ['tokens wrong type', { tokens: new Float32Array(6) }, TypeError],
  ['tokens wrong length', { tokens: new Int32Array(5) }, RangeError],
  ['table wrong length', { table: new Float32Array(47) }, RangeError],
  ['table NaN', { table: new Float32Array(48).fill(Number.NaN) }, RangeError],
  ['wIh in gather mode', { wIh: new Float32Array(24) }, TypeError],
  ['cache when not training', { cache: new Float32Array(lstmCacheSize(2, 3, 3)) }, TypeError],
];
const badBackward: Bad[] = [
  ['cache wrong length', { cache: new Float32Array(5) }, RangeError],
  ['cache missing', { cache: null }, TypeError],
  ['dY wrong length', { dY: new Float32Array(5) }, RangeError],
  ['dY NaN', { dY: new Float32Array(18).fill(Number.NaN) }, RangeError],
  ['dWHh wrong length', { dWHh: new Float32Array(5) }, RangeError],
  ['dX detached', { dX: detached(12) }, TypeError],
  ['dTable in dense mode', { dTable: new Float32Array(12) }, TypeError],
  ['lengths > T', { lengths: Int32Array.from([0, 9]) }, RangeError],
  ['x wrong length', { x: new Float32Array(2) }, RangeError],
  ['batch 0', { batch: 0 }, RangeError],
  ['dropout 2', { dropout: 2 }, RangeError],
];

test('dense mode with short lengths (packed input projection and input gradients): reference, zeros, threads', () => {
  // Over 1,024 valid rows, so the packed dW_ih is summed over several row blocks.
  const before = getNumThreads();
  const r = rng(15);
  for (const spec of [
    { B: 37, T: 70, I: 9, H: 6, G: 24, lengths: true, padding: 'pre', dropout: 0.3 },
    { B: 5, T: 33, I: 4, H: 3, G: 12, lengths: true, padding: 'post', h0: true, c0: true },
  ] as CaseSpec[]) {
    const a = randomCase(r, spec);
    const lengths = a.lengths as Int32Array;
    lengths[0] = 0;
    lengths[1] = a.T;
    const l = randomLoss(r, a);
    const ref = lstmRefBackward(a, lstmRefForward(a), l.R, l.R2, l.R3);
    const runs = [1, 2, 3].map((n) => {
      setNumThreads(n);
      return runNative(a, true, l);
    });
    setNumThreads(before);
    checkForward(a, runs[0], 'packed dense');
    for (const [k, got] of Object.entries(runs[0].grads!)) {
      for (let i = 0; i < got.length; i++) assert.ok(Number.isFinite(got[i]), `${k}[${i}] not written`);
      assert.ok(maxRelErr(got, ref[k as keyof RefGrads]!) < 1e-3, `native ${k} vs reference`);
    }
    for (let b = 0; b < a.B; b++)
      for (let t = 0; t < a.T; t++)
        if (isPadded(a, b, t))
          for (let k = 0; k < a.I; k++) assert.is(runs[0].grads!.dX[(b * a.T + t) * a.I + k], 0);
    for (const run of runs.slice(1)) {
      assert.ok(bytes(run.out).equals(bytes(runs[0].out)));
      for (const k of Object.keys(run.grads!)) assert.ok(bytes(run.grads![k]).equals(bytes(runs[0].grads![k])), k);
    }
  }
});

test('bad arguments throw TypeError/RangeError (sync) and reject (async)', async () => {
  const groups: Array<[Bad[], () => object, (o: never) => void, (o: never) => Promise<void>]> = [
    [badForward, validForward, lstmForward, lstmForwardAsync],
    [badGather, validGather, lstmForward, lstmForwardAsync],
    [badBackward, validBackward, lstmBackward, lstmBackwardAsync],
  ];
  for (const [bads, valid, sync, async_] of groups) {
    sync(valid() as never); // the base case is valid
    for (const [name, patch, cls] of bads) {
      const o = { ...valid(), ...patch };
      assert.throws(() => sync(o as never), (e: Error) => e instanceof cls, `${name}: sync`);
      let rejected: unknown = null;
      await async_(o as never).catch((e) => (rejected = e));
      assert.ok(rejected instanceof cls, `${name}: async`);
    }
  }
  throwsError(() => lstmForward(null as never), TypeError);
  throwsError(() => lstmCacheSize(0, 1, 1), RangeError);
  throwsError(() => lstmCacheSize('1' as never, 1, 1), TypeError);
});

test('fold/unfold bindings validate their arguments', async () => {
  const r = rng(12);
  const emb = randomF32(r, 4 * 3), wIh = randomF32(r, 8 * 3), bias = randomF32(r, 8), table = nan(4 * 8);
  lstmFoldEmbedding(4, 3, 2, emb, wIh, bias, table);
  for (let v = 0; v < 4; v++)
    for (let g = 0; g < 8; g++) {
      let s = bias[g];
      for (let k = 0; k < 3; k++) s += emb[v * 3 + k] * wIh[g * 3 + k];
      assert.ok(Math.abs(table[v * 8 + g] - s) < 1e-5);
    }
  await lstmFoldEmbeddingAsync(4, 3, 2, emb, wIh, null, table);
  throwsError(() => lstmFoldEmbedding(0, 3, 2, emb, wIh, bias, table), RangeError);
  throwsError(() => lstmFoldEmbedding(4, 3, 2, emb, wIh.subarray(1), bias, table), RangeError);
  throwsError(() => lstmFoldEmbedding(4, 3, 2, emb, wIh, bias, new Float64Array(32) as never), TypeError);
  throwsError(() => lstmFoldEmbedding(4, 3, 2, detached(12), wIh, bias, table), TypeError);
  const dT = randomF32(r, 32);
  lstmUnfoldGradient(4, 3, 2, emb, wIh, dT, nan(12), null, nan(8));
  await lstmUnfoldGradientAsync(4, 3, 2, emb, wIh, dT, nan(12), nan(24), null);
  throwsError(() => lstmUnfoldGradient(4, 3, 2, emb, wIh, dT, nan(11), null, null), RangeError);
  throwsError(() => lstmUnfoldGradient(4, 3, -2, emb, wIh, dT, null, null, null), RangeError);
  throwsError(() => lstmUnfoldGradient(4, 3, 2, emb, wIh, nan(32), null, null, null), RangeError);
});

test.run();
