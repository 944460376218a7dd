import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simdPaths, withSimd } from './helpers/simd.ts';
import { throwsError } from './helpers/errors.ts';
import { readFileSync } from 'node:fs';
import { rng, randomF32, maxRelErr } from './helpers/random.ts';
import {
  rnnBackward, rnnBackwardAsync, rnnCacheSize, rnnFoldEmbedding, rnnForward, rnnForwardAsync, rnnUnfoldGradient,
  rnnUnfoldGradientAsync, rnnFoldEmbeddingAsync,
} from '../ts/bindings/rnn.ts';
import type { RnnBackwardOptions, RnnForwardOptions } from '../ts/bindings/rnn.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { randomCase, validRange } from './reference/lstm.ts';
import type { CaseSpec, RefArgs, RefGrads } from './reference/lstm.ts';
import { rnnRefBackward, rnnRefForward } from './reference/rnn.ts';
import { maxOverSteps } from './helpers/max_pooled.ts';

type Case = RefArgs & { V: number };
const nan = (n: number) => new Float32Array(n).fill(Number.NaN);
const F = (a: ArrayLike<number> | null | undefined) => (a ?? undefined) as Float32Array | undefined;
interface Loss { R: Float32Array; R2: Float32Array }
interface Run { out: Float32Array; hLast: Float32Array; cache: Float32Array | null; grads?: Record<string, Float32Array> }

function forwardOptions(a: Case, training: boolean): RnnForwardOptions {
  const { B, T, H } = a;
  return {
    batch: B, time: T, hidden: H, input: a.I, x: F(a.x), wIh: F(a.wIh), bias: F(a.bias),
    tokens: a.tokens as Int32Array | undefined, table: F(a.table), vocab: a.tokens ? a.V : undefined,
    wHh: a.wHh as Float32Array, h0: F(a.h0), lengths: a.lengths as Int32Array | undefined, padding: a.padding,
    training, dropout: a.dropout, seed: a.seed, stream: a.stream,
    cache: training ? nan(rnnCacheSize(B, T, H)) : null, out: nan(B * T * H), hLast: nan(B * H),
  };
}

function gradOutputs(a: Case): Record<string, Float32Array> {
  const { B, T, I, H } = a;
  const g: Record<string, Float32Array> = { dWHh: nan(H * H), dBias: nan(H), dh0: nan(B * H) };
  if (a.tokens) g.dTable = nan(a.V * H);
  else {
    g.dX = nan(B * T * I);
    g.dWIh = nan(H * I);
  }
  return g;
}

function backwardOptions(a: Case, cache: Float32Array, l: Loss, g: Record<string, Float32Array>): RnnBackwardOptions {
  return {
    batch: a.B, time: a.T, hidden: a.H, input: a.I, x: F(a.x), wIh: F(a.wIh),
    tokens: a.tokens as Int32Array | undefined, vocab: a.tokens ? a.V : undefined, wHh: a.wHh as Float32Array,
    h0: F(a.h0), lengths: a.lengths as Int32Array | undefined, padding: a.padding, dropout: a.dropout,
    seed: a.seed, stream: a.stream, cache, dY: l.R, dHlast: l.R2, ...g,
  };
}

function runNative(a: Case, training: boolean, l?: Loss): Run {
  const o = forwardOptions(a, training);
  rnnForward(o);
  const run: Run = { out: o.out!, hLast: o.hLast!, cache: o.cache ?? null };
  if (l) {
    run.grads = gradOutputs(a);
    rnnBackward(backwardOptions(a, run.cache!, l, run.grads));
  }
  return run;
}

function lossOf(a: RefArgs, l: Loss): number {
  const o = rnnRefForward(a);
  let s = 0;
  for (let i = 0; i < o.y.length; i++) s += o.y[i] * l.R[i];
  for (let i = 0; i < o.hLast.length; i++) s += o.hLast[i] * l.R2[i];
  return s;
}

const cases: Array<[string, CaseSpec]> = [
  ['B=1 T=1 H=5 dense', { B: 1, T: 1, I: 3, H: 5, G: 5 }],
  ['dense pre lengths h0 dropout H=13', { B: 4, T: 6, I: 4, H: 13, G: 13, lengths: true, padding: 'pre', h0: true, dropout: 0.3 }],
  ['dense post lengths H=5', { B: 4, T: 5, I: 2, H: 5, G: 5, lengths: true, padding: 'post' }],
  ['gather pre lengths h0 dropout H=9', { B: 3, T: 4, I: 0, H: 9, G: 9, V: 6, gather: true, lengths: true, padding: 'pre', h0: true, dropout: 0.4 }],
  ['gather post H=16', { B: 5, T: 3, I: 0, H: 16, G: 16, V: 4, gather: true, lengths: true, padding: 'post' }],
];

test('rnn forward equals the reference (inference and training with dropout); padded outputs are 0', () => {
  const r = rng(21);
  for (const [name, spec] of cases) {
    for (const training of [false, true]) {
      const a = randomCase(r, spec);
      const run = runNative(a, training);
      const ref = rnnRefForward(training ? a : { ...a, dropout: 0 });
      assert.ok(run.out.every(Number.isFinite) && run.hLast.every(Number.isFinite), `${name}: not all written`);
      assert.ok(maxRelErr(run.out, ref.y) < 1e-5, `${name}: out`);
      assert.ok(maxRelErr(run.hLast, ref.hLast) < 1e-5, `${name}: hLast`);
      for (let b = 0; b < a.B; b++) {
        const [s, e] = validRange(a, b);
        for (let t = 0; t < a.T; t++)
          if (t < s || t >= e) for (let j = 0; j < a.H; j++) assert.is(run.out[(b * a.T + t) * a.H + j], 0);
      }
    }
  }
});

test('rnn reference gradients match finite differences; native gradients match the reference', () => {
  const r = rng(22);
  for (const [name, spec] of cases) {
    const a = randomCase(r, spec);
    const l = { R: randomF32(r, a.B * a.T * a.H), R2: randomF32(r, a.B * a.H) };
    const ref = rnnRefBackward(a, rnnRefForward(a), l.R, l.R2);
    const a64: RefArgs = { ...a };
    const pairs: Array<[keyof RefArgs, keyof RefGrads]> = a.tokens
      ? [['table', 'dTable'], ['wHh', 'dWHh'], ['h0', 'dh0']]
      : [['x', 'dX'], ['wIh', 'dWIh'], ['bias', 'dBias'], ['wHh', 'dWHh'], ['h0', 'dh0']];
    for (const [p, gk] of pairs) {
      const v = Float64Array.from((a[p] as ArrayLike<number> | undefined) ?? new Float64Array(a.B * a.H));
      (a64 as unknown as Record<string, unknown>)[p] = v;
      const fd = v.map((keep, i) => {
        v[i] = keep + 1e-6;
        const lp = lossOf(a64, l);
        v[i] = keep - 1e-6;
        const lm = lossOf(a64, l);
        v[i] = keep;
        return (lp - lm) / 2e-6;
      });
      assert.ok(maxRelErr(ref[gk]!, fd) < 1e-6, `${name}: reference ${gk} vs finite differences`);
    }
    const run = runNative(a, true, l);
    for (const [k, got] of Object.entries(run.grads!)) {
      assert.ok(got.every(Number.isFinite), `${name}: ${k} not written`);
      assert.ok(maxRelErr(got, ref[k as keyof RefGrads]!) < 1e-3, `${name}: native ${k}`);
    }
  }
});

test('rnn: bit-identical for 1, 2, 3 threads; portable path agrees', () => {
  const before = getNumThreads();
  const r = rng(23);
  const a = randomCase(r, { B: 10, T: 7, I: 5, H: 13, G: 13, lengths: true, padding: 'post', h0: true, dropout: 0.2 });
  const l = { R: randomF32(r, a.B * a.T * a.H), R2: randomF32(r, a.B * a.H) };
  const runs = [1, 2, 3].map((n) => {
    setNumThreads(n);
    return runNative(a, true, l);
  });
  setNumThreads(before);
  const eq = (p: Float32Array, q: Float32Array) => Buffer.from(p.buffer).equals(Buffer.from(q.buffer));
  for (const run of runs.slice(1)) {
    assert.ok(eq(run.out, runs[0].out));
    for (const k of Object.keys(run.grads!)) assert.ok(eq(run.grads![k], runs[0].grads![k]), k);
  }
  for (const level of simdPaths().slice(1)) {
    const slow = withSimd(level, () => runNative(a, true, l));
    assert.ok(maxRelErr(slow.out, runs[0].out) < 1e-5);
    for (const k of Object.keys(slow.grads!)) assert.ok(maxRelErr(slow.grads![k], runs[0].grads![k]) < 1e-4, k);
  }
});

test('rnn outMax (fused GlobalMaxPooling1D) is the max of out over the valid steps: every path, 1-3 threads', () => {
  const before = getNumThreads();
  const r = rng(24);
  const eq = (p: Float32Array, q: Float32Array) => Buffer.from(p.buffer).equals(Buffer.from(q.buffer));
  const specs: CaseSpec[] = [
    ...cases.map(([, spec]) => ({ ...spec, dropout: 0 })),
    { B: 30, T: 20, I: 0, H: 21, G: 21, V: 8, gather: true, lengths: true, padding: 'pre', h0: true },
    { B: 13, T: 11, I: 4, H: 35, G: 35, lengths: true, padding: 'post' },
  ];
  try {
    for (const [n, spec] of specs.entries()) {
      const a = randomCase(r, spec);
      for (const level of simdPaths()) {
        for (const threads of [1, 2, 3]) {
          setNumThreads(threads);
          const full = { ...forwardOptions(a, false), outMax: nan(a.B * a.H) };
          withSimd(level, () => rnnForward(full));
          const want = maxOverSteps(a, full.out!);
          assert.ok(eq(full.outMax, want), `case ${n} ${level} t=${threads}: with out`);
          const pooled = { ...forwardOptions(a, false), out: null, outMax: nan(a.B * a.H) };
          withSimd(level, () => rnnForward(pooled));
          assert.ok(eq(pooled.outMax, want), `case ${n} ${level} t=${threads}: without out`);
          assert.ok(eq(pooled.hLast!, full.hLast!), `case ${n} ${level} t=${threads}: hLast`);
        }
      }
    }
  } finally {
    setNumThreads(before);
  }
});

test('rnn gather mode equals dense mode through the folded embedding', () => {
  const r = rng(24);
  const B = 3, T = 4, E = 3, H = 5, V = 6;
  const emb = randomF32(r, V * E), wIh = randomF32(r, H * E), bias = randomF32(r, H), wHh = randomF32(r, H * H, -0.6, 0.6);
  const tokens = new Int32Array(B * T).map(() => Math.floor(r() * V));
  const table = nan(V * H);
  rnnFoldEmbedding(V, E, H, emb, wIh, bias, table);
  const x = new Float32Array(B * T * E);
  for (let i = 0; i < B * T; i++) x.set(emb.subarray(tokens[i] * E, tokens[i] * E + E), i * E);
  const common = { B, T, H, wHh, lengths: Int32Array.from([4, 1, 3]), padding: 'post' as const };
  const l = { R: randomF32(r, B * T * H), R2: randomF32(r, B * H) };
  const rd = runNative({ ...common, I: E, V: 0, x, wIh, bias }, true, l);
  const rg = runNative({ ...common, I: 0, V, tokens, table }, true, l);
  assert.ok(maxRelErr(rg.out, rd.out) < 1e-5);
  const dEmb = nan(V * E), dWIh = nan(H * E), dBias = nan(H);
  rnnUnfoldGradient(V, E, H, emb, wIh, rg.grads!.dTable, dEmb, dWIh, dBias);
  const dEmbDense = new Float64Array(V * E);
  for (let i = 0; i < B * T; i++) for (let k = 0; k < E; k++) dEmbDense[tokens[i] * E + k] += rd.grads!.dX[i * E + k];
  assert.ok(maxRelErr(dEmb, dEmbDense) < 1e-4);
  assert.ok(maxRelErr(dWIh, rd.grads!.dWIh) < 1e-4);
  assert.ok(maxRelErr(dBias, rd.grads!.dBias) < 1e-4);
});

test('tanh is accurate to ~1e-6 relative, tiny inputs included (AVX2 and portable)', () => {
  // T = 1 and wHh = 0: h = tanh(table row) exactly as the kernel computes it.
  const H = 16, B = 500;
  const table = new Float32Array(B * H);
  for (let k = 0; k < B * H; k++) {
    const u = k / (B * H - 1);
    // Half the points over [-12, 12], half log-spaced down to 1e-30 (both signs).
    table[k] = Math.fround(k % 2 === 0 ? -12 + 24 * u : (k % 4 === 1 ? 1 : -1) * 10 ** (-30 + 30 * u));
  }
  const tokens = Int32Array.from({ length: B }, (_, b) => b);
  for (const level of simdPaths()) {
    const hLast = nan(B * H);
    withSimd(level, () => rnnForward({ batch: B, time: 1, hidden: H, tokens, table, wHh: new Float32Array(H * H), hLast }));
    let worst = 0;
    for (let k = 0; k < B * H; k++) {
      const want = Math.tanh(table[k]);
      worst = Math.max(worst, want === 0 ? Math.abs(hLast[k]) : Math.abs(hLast[k] - want) / Math.abs(want));
    }
    assert.ok(worst < 2e-6, `tanh relative error ${worst} (${level})`);
  }
});

interface TorchCase {
  name: string; B: number; T: number; I: number; H: number;
  x: number[]; wIh: number[]; wHh: number[]; bias: number[]; h0?: number[]; lengths?: number[]; y: number[]; hLast: number[];
}

test('matches torch.nn.RNN fixtures (incl. a packed sequence)', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/rnn_torch.json', import.meta.url), 'utf8')) as TorchCase[];
  assert.ok(fx.length >= 3);
  for (const c of fx) {
    const run = runNative({
      B: c.B, T: c.T, I: c.I, H: c.H, V: 0, x: Float32Array.from(c.x), wIh: Float32Array.from(c.wIh),
      wHh: Float32Array.from(c.wHh), bias: Float32Array.from(c.bias), h0: c.h0 && Float32Array.from(c.h0),
      lengths: c.lengths && Int32Array.from(c.lengths), padding: 'post',
    }, false);
    const diff = (p: Float32Array, q: number[]) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
    assert.ok(diff(run.out, c.y) <= 1e-5, `${c.name}: y ${diff(run.out, c.y)}`);
    assert.ok(diff(run.hLast, c.hLast) <= 1e-5, `${c.name}: hLast`);
  }
});

test('rnn bad arguments throw TypeError/RangeError (sync) and reject (async)', async () => {
  const a = randomCase(rng(25), { B: 2, T: 3, I: 2, H: 3, G: 3, lengths: true });
  const fwd = () => forwardOptions(a, true);
  const o = fwd();
  rnnForward(o);
  const l = { R: randomF32(rng(26), 18), R2: randomF32(rng(27), 6) };
  const bwd = () => backwardOptions(a, o.cache!, l, gradOutputs(a));
  rnnBackward(bwd());
  const bad: Array<[string, () => object, object, typeof TypeError | typeof RangeError, boolean]> = [
    ['batch 0', fwd, { batch: 0 }, RangeError, true],
    ['hidden string', fwd, { hidden: '3' }, TypeError, true],
    ['x wrong length', fwd, { x: new Float32Array(5) }, RangeError, true],
    ['x NaN', fwd, { x: new Float32Array(12).fill(Number.NaN) }, RangeError, true],
    ['wHh wrong length (4H)', fwd, { wHh: new Float32Array(36) }, RangeError, true],
    ['lengths > T', fwd, { lengths: Int32Array.from([1, 4]) }, RangeError, true],
    ['padding bad', fwd, { padding: 'both' }, RangeError, true],
    ['cache wrong length', fwd, { cache: new Float32Array(4) }, RangeError, true],
    ['dropout 1', fwd, { dropout: 1 }, RangeError, true],
    ['tokens out of range', fwd, { x: null, wIh: null, bias: null, tokens: Int32Array.from([0, 1, 2, 7, 0, 0]), table: new Float32Array(21), vocab: 7 }, RangeError, true],
    ['cache detached', bwd, { cache: (() => { const b = new Float32Array(18); structuredClone(b.buffer, { transfer: [b.buffer] }); return b; })() }, TypeError, false],
    ['dh0 wrong length', bwd, { dh0: new Float32Array(5) }, RangeError, false],
    ['dY Float64Array', bwd, { dY: new Float64Array(18) }, TypeError, false],
  ];
  for (const [name, base, patch, cls, isFwd] of bad) {
    const opt = { ...base(), ...patch } as never;
    const sync = isFwd ? rnnForward : rnnBackward;
    const asyncFn = isFwd ? rnnForwardAsync : rnnBackwardAsync;
    assert.throws(() => sync(opt), (e: Error) => e instanceof cls, `${name}: sync`);
    let rejected: unknown = null;
    await asyncFn(opt).catch((e) => (rejected = e));
    assert.ok(rejected instanceof cls, `${name}: async`);
  }
  const emb = randomF32(rng(28), 6), wIh = randomF32(rng(29), 6);
  await rnnFoldEmbeddingAsync(3, 2, 3, emb, wIh, null, nan(9));
  await rnnUnfoldGradientAsync(3, 2, 3, emb, wIh, randomF32(rng(30), 9), nan(6), nan(6), nan(3));
  throwsError(() => rnnFoldEmbedding(3, 2, 3, emb, wIh, null, nan(36)), RangeError);
  throwsError(() => rnnUnfoldGradient(3, 2, 0, emb, wIh, nan(9), null, null, null), RangeError);
  throwsError(() => rnnCacheSize(1, -1, 1), RangeError);
});

test.run();
