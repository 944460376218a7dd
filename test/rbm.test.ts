// RBM kernels (native/cpu/rbm.*) against float64 references (test/reference/rbm.ts) with the
// kernel's Philox draws replayed through randomUniform, and against scikit-learn's BernoulliRBM
// (fixtures from test/fixtures/make_rbm_fixtures.py).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { randomUniform } from '../ts/bindings/random.ts';
import {
  rbmBatchStream, rbmCdGradient, rbmCdGradientAsync, rbmFreeEnergy, rbmFreeEnergyAsync, rbmHiddenProbs, rbmHiddenProbsAsync,
  rbmSampleBernoulli, rbmTrainEpoch, rbmTrainEpochAsync, rbmVisibleMeans, rbmVisibleMeansAsync,
} from '../ts/bindings/rbm.ts';
import type { RbmEpochOptions, RbmGradient, RbmModel, RbmVisible } from '../ts/bindings/rbm.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { allWritten, detached, detachedI32, gradRelErr, maxRelErr, nanF32, numericGrad, randomF32, rng } from './helpers/random.ts';
import { forEachSimd } from './helpers/simd.ts';
import { cdGradientRef, freeEnergyRef, hiddenProbsRef, visibleMeansRef } from './reference/rbm.ts';

const VISIBLE: RbmVisible[] = ['bernoulli', 'gaussian'];
const shapes: Array<[number, number, number]> = [[1, 1, 1], [1, 7, 3], [5, 3, 9], [9, 13, 11], [17, 10, 1], [33, 21, 17]];

function model(r: () => number, V: number, H: number, scale = 0.5): RbmModel {
  return { V, H, W: randomF32(r, H * V, -scale, scale), b: randomF32(r, V, -0.5, 0.5), c: randomF32(r, H, -0.5, 0.5) };
}

/** Data for a visible type: probabilities-like values in (0, 1) or standardised-like ones. */
function data(r: () => number, vis: RbmVisible, n: number): Float32Array {
  return vis === 'bernoulli' ? randomF32(r, n, 0.02, 0.98).map((v) => (v < 0.5 ? 0 : 1)) : randomF32(r, n, -2, 2);
}

function gradient(V: number, H: number): RbmGradient {
  return { dW: nanF32(H * V), db: nanF32(V), dc: nanF32(H), stats: nanF32(1) };
}

test('hidden probabilities, visible means and free energy match the float64 reference on every SIMD path', () => {
  forEachSimd((level) => {
    const r = rng(31);
    for (const [N, V, H] of shapes) {
      for (const vis of VISIBLE) {
        const m = model(r, V, H);
        const x = data(r, vis, N * V);
        const P = nanF32(N * H);
        rbmHiddenProbs(N, V, H, x, m.W, m.c, P);
        assert.ok(allWritten(P));
        assert.ok(maxRelErr(P, hiddenProbsRef(N, V, H, x, m.W, m.c)) < 1e-5, `${level} P ${N},${V},${H}`);
        const h = randomF32(r, N * H, 0, 1);
        const X = nanF32(N * V);
        rbmVisibleMeans(vis, N, V, H, h, m.W, m.b, X);
        assert.ok(allWritten(X));
        assert.ok(maxRelErr(X, visibleMeansRef(vis, N, V, H, h, m.W, m.b)) < 1e-5, `${level} X ${vis} ${N},${V},${H}`);
        const F = nanF32(N);
        rbmFreeEnergy(vis, N, V, H, x, m.W, m.b, m.c, F);
        assert.ok(allWritten(F));
        assert.ok(maxRelErr(F, freeEnergyRef(vis, N, V, H, x, m.W, m.b, m.c)) < 1e-5, `${level} F ${vis} ${N},${V},${H}`);
      }
    }
  });
});

test('free energy over more rows than one chunk, with large pre-activations (softplus stays finite)', () => {
  const r = rng(32);
  const [N, V, H] = [4100, 5, 3];
  const m = model(r, V, H, 40);
  const x = randomF32(r, N * V, -3, 3);
  const F = nanF32(N);
  rbmFreeEnergy('gaussian', N, V, H, x, m.W, m.b, m.c, F);
  assert.ok(allWritten(F) && F.every(Number.isFinite));
  assert.ok(maxRelErr(F, freeEnergyRef('gaussian', N, V, H, x, m.W, m.b, m.c)) < 1e-5);
});

test('the free energy is consistent with the hidden conditionals: -dF/dW = p(h|v) vᵀ, -dF/dc = p(h|v)', () => {
  const r = rng(33);
  for (const vis of VISIBLE) {
    const [N, V, H] = [4, 5, 3];
    const m = model(r, V, H);
    const x = data(r, vis, N * V);
    const P = hiddenProbsRef(N, V, H, x, m.W, m.c);
    const total = (W: Float64Array, c: Float64Array) => freeEnergyRef(vis, N, V, H, x, W, m.b, c).reduce((a, v) => a + v, 0);
    const gW = numericGrad((W) => total(W, Float64Array.from(m.c)), Float64Array.from(m.W));
    const gc = numericGrad((c) => total(Float64Array.from(m.W), c), Float64Array.from(m.c));
    const wantW = new Float64Array(H * V);
    const wantC = new Float64Array(H);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) {
        wantC[j] -= P[n * H + j];
        for (let i = 0; i < V; i++) wantW[j * V + i] -= P[n * H + j] * x[n * V + i];
      }
    }
    assert.ok(gradRelErr(gW, wantW) < 1e-6, `${vis} dF/dW`);
    assert.ok(gradRelErr(gc, wantC) < 1e-6, `${vis} dF/dc`);
  }
});

test('Bernoulli samples are the replayed Philox draws below p, at any offset, on every SIMD path, in place too', () => {
  forEachSimd((level) => {
    const r = rng(34);
    for (const [n, offset] of [[1, 0], [3, 1], [70, 5], [257, 62], [1000, 31], [40000, 7]]) {
      const p = randomF32(r, n, 0, 1);
      const u = randomUniform(new Float32Array(offset + n), 9, 12345);
      const out = rbmSampleBernoulli(p, 9, 12345, offset, nanF32(n));
      for (let i = 0; i < n; i++) {
        if (out[i] !== (u[offset + i] < p[i] ? 1 : 0)) assert.unreachable(`${level} n=${n} offset=${offset}: element ${i}`);
      }
      const inPlace = Float32Array.from(p);
      rbmSampleBernoulli(inPlace, 9, 12345, offset);
      assert.equal(inPlace, out);
    }
    // p = 0 never fires and p = 1 always does.
    assert.ok(rbmSampleBernoulli(new Float32Array(100), 1, 2).every((v) => v === 0));
    assert.ok(rbmSampleBernoulli(new Float32Array(100).fill(1), 1, 2).every((v) => v === 1));
  });
});

const chains: Array<{ k: number; persistent: boolean }> = [{ k: 1, persistent: false }, { k: 3, persistent: false }, { k: 2, persistent: true }];

test('CD-k and PCD-k gradients match the float64 reference with the same draws (both visible types)', () => {
  forEachSimd((level) => {
    const r = rng(35);
    for (const [m, V, H] of [[1, 1, 1], [1, 7, 3], [6, 5, 9], [13, 11, 10], [40, 19, 23]]) {
      for (const vis of VISIBLE) {
        for (const { k, persistent } of chains) {
          const mdl = model(r, V, H);
          const v0 = data(r, vis, m * V);
          const chain = persistent ? randomF32(r, m * H, 0, 1).map((v) => (v < 0.5 ? 0 : 1)) : null;
          const chainBefore = chain && Float32Array.from(chain);
          const [seed, stream] = [77, 4242];
          const g = gradient(V, H);
          rbmCdGradient({ visible: vis, gibbsSteps: k, persistent }, m, mdl, v0, chain, seed, stream, g);
          assert.ok(allWritten(g.dW) && allWritten(g.db) && allWritten(g.dc) && allWritten(g.stats));
          const u = randomUniform(new Float32Array((k + 1) * (m * H + m * V)), seed, stream);
          const ref = cdGradientRef(vis, k, persistent, m, V, H, v0, mdl.W, mdl.b, mdl.c, chainBefore, u);
          const what = `${level} ${vis} k=${k}${persistent ? ' pcd' : ''} ${m},${V},${H}`;
          assert.ok(gradRelErr(g.dW, ref.dW) < 1e-3, `dW ${what}`);
          assert.ok(gradRelErr(g.db, ref.db) < 1e-3, `db ${what}`);
          assert.ok(gradRelErr(g.dc, ref.dc) < 1e-3, `dc ${what}`);
          assert.ok(Math.abs(g.stats[0] - ref.err) <= 1e-4 * Math.max(1, ref.err), `err ${what}`);
          if (persistent) assert.equal(Array.from(chain!), Array.from(ref.chain!), `chain ${what}`);
        }
      }
    }
  });
});

function epochOptions(over: Partial<RbmEpochOptions> = {}): RbmEpochOptions {
  return { visible: 'gaussian', gibbsSteps: 1, persistent: false, batchSize: 8, learningRate: 0.05, momentum: 0.5, weightDecay: 0.01, seed: 3, epoch: 2, ...over };
}

const copyModel = (m: RbmModel): RbmModel => ({ V: m.V, H: m.H, W: Float32Array.from(m.W), b: Float32Array.from(m.b), c: Float32Array.from(m.c) });

test('an epoch is momentum SGD on the batch gradients, batches taken in `order`, streams rbmBatchStream(epoch, t)', () => {
  const r = rng(36);
  const [N, V, H] = [21, 6, 5];
  for (const vis of VISIBLE) {
    for (const persistent of [false, true]) {
      const o = epochOptions({ visible: vis, persistent, gibbsSteps: persistent ? 2 : 1 });
      const start = model(r, V, H);
      const x = data(r, vis, N * V);
      const order = Int32Array.from({ length: N }, (_, i) => (i * 8) % N);
      const got = copyModel(start);
      const vel = { W: randomF32(r, H * V, -0.01, 0.01), b: new Float32Array(V), c: new Float32Array(H) };
      const want = copyModel(start);
      const wantVel = { W: Float64Array.from(vel.W), b: new Float64Array(V), c: new Float64Array(H) };
      const chain = persistent ? new Float32Array(o.batchSize * H) : null;
      const wantChain = persistent ? new Float32Array(o.batchSize * H) : null;
      const stats = nanF32(1);
      rbmTrainEpoch(o, N, got, x, order, vel, chain, stats);

      let err = 0;
      for (let t = 0, r0 = 0; r0 < N; t++, r0 += o.batchSize) {
        const m = Math.min(o.batchSize, N - r0);
        const v0 = new Float32Array(m * V);
        for (let k = 0; k < m; k++) v0.set(x.subarray(order[r0 + k] * V, order[r0 + k] * V + V), k * V);
        const g = gradient(V, H);
        const ch = wantChain ? wantChain.subarray(0, m * H) : null;
        rbmCdGradient(o, m, want, v0, ch, o.seed, rbmBatchStream(o.epoch, t), g);
        err += g.stats[0];
        const step = (p: Float32Array, v: Float64Array, d: Float32Array, decay: number) => {
          for (let i = 0; i < p.length; i++) {
            v[i] = o.momentum * v[i] + o.learningRate * (d[i] - decay * p[i]);
            p[i] += v[i];
          }
        };
        step(want.W, wantVel.W, g.dW, o.weightDecay);
        step(want.b, wantVel.b, g.db, 0);
        step(want.c, wantVel.c, g.dc, 0);
      }
      const what = `${vis}${persistent ? ' pcd' : ''}`;
      assert.ok(maxRelErr(got.W, want.W) < 1e-5, `W ${what}`);
      assert.ok(maxRelErr(got.b, want.b) < 1e-5, `b ${what}`);
      assert.ok(maxRelErr(got.c, want.c) < 1e-5, `c ${what}`);
      assert.ok(maxRelErr(vel.W, wantVel.W) < 1e-5, `velW ${what}`);
      if (persistent) assert.equal(chain, wantChain);
      assert.ok(Math.abs(stats[0] - err / (N * V)) < 1e-5 * Math.max(1, stats[0]), `err ${what}`);
    }
  }
});

test('epochs are bit-identical for 1, 2 and 3 threads (CD and PCD, both visible types)', () => {
  const r = rng(37);
  const [N, V, H] = [700, 23, 19];
  const before = getNumThreads();
  try {
    for (const vis of VISIBLE) {
      for (const persistent of [false, true]) {
        const start = model(r, V, H, 0.1);
        const x = data(r, vis, N * V);
        const order = Int32Array.from({ length: N }, (_, i) => (i * 37) % N);
        const runs: Float32Array[][] = [];
        for (const t of [1, 2, 3]) {
          setNumThreads(t);
          const m = copyModel(start);
          const vel = { W: new Float32Array(H * V), b: new Float32Array(V), c: new Float32Array(H) };
          const o = epochOptions({ visible: vis, persistent, batchSize: 100, gibbsSteps: 2 });
          const chain = persistent ? new Float32Array(100 * H) : null;
          const stats = nanF32(1);
          for (let e = 0; e < 2; e++) rbmTrainEpoch({ ...o, epoch: e }, N, m, x, order, vel, chain, stats);
          const F = nanF32(N);
          rbmFreeEnergy(vis, N, V, H, x, m.W, m.b, m.c, F);
          runs.push([m.W, m.b, m.c, vel.W, stats, F, ...(chain ? [chain] : [])]);
        }
        for (const k of runs[0].keys()) {
          assert.equal(runs[1][k], runs[0][k], `${vis} ${persistent} #${k} t=2`);
          assert.equal(runs[2][k], runs[0][k], `${vis} ${persistent} #${k} t=3`);
        }
      }
    }
  } finally {
    setNumThreads(before);
  }
});

test('epochs at batch 128 and 10 (the bench\'s) are bit-identical for 1, 2 and 3 threads and still momentum SGD on the batch gradients', () => {
  const r = rng(38);
  const N = 600; // 4 full batches of 128 and a part
  const before = getNumThreads();
  try {
    for (const [V, H] of [[64, 64], [37, 50]]) {
      for (const batchSize of [128, 10]) {
        const o = epochOptions({ visible: 'bernoulli', batchSize });
        const start = model(r, V, H, 0.1);
        const x = data(r, 'bernoulli', N * V);
        const order = Int32Array.from({ length: N }, (_, i) => (i * 7) % N);
        const runs: Float32Array[][] = [];
        for (const t of [1, 2, 3]) {
          setNumThreads(t);
          const m = copyModel(start);
          const vel = { W: new Float32Array(H * V), b: new Float32Array(V), c: new Float32Array(H) };
          const stats = nanF32(1);
          rbmTrainEpoch(o, N, m, x, order, vel, null, stats);
          runs.push([m.W, m.b, m.c, vel.W, vel.b, vel.c, stats]);
        }
        const what = `${V}x${H} b${batchSize}`;
        for (const k of runs[0].keys()) {
          assert.equal(runs[1][k], runs[0][k], `${what} #${k} t=2`);
          assert.equal(runs[2][k], runs[0][k], `${what} #${k} t=3`);
        }
        // The threaded epoch against its definition: rbmCdGradient per batch, then the momentum step.
        const want = copyModel(start);
        const wantVel = { W: new Float64Array(H * V), b: new Float64Array(V), c: new Float64Array(H) };
        for (let t = 0, r0 = 0; r0 < N; t++, r0 += batchSize) {
          const m = Math.min(batchSize, N - r0);
          const v0 = new Float32Array(m * V);
          for (let k = 0; k < m; k++) v0.set(x.subarray(order[r0 + k] * V, order[r0 + k] * V + V), k * V);
          const g = gradient(V, H);
          rbmCdGradient(o, m, want, v0, null, o.seed, rbmBatchStream(o.epoch, t), g);
          for (const [p, v, d, decay] of [[want.W, wantVel.W, g.dW, o.weightDecay], [want.b, wantVel.b, g.db, 0], [want.c, wantVel.c, g.dc, 0]] as const) {
            for (let i = 0; i < p.length; i++) {
              v[i] = o.momentum * v[i] + o.learningRate * (d[i] - decay * p[i]);
              p[i] += v[i];
            }
          }
        }
        assert.ok(maxRelErr(runs[1][0], want.W) < 1e-5, `W ${what}`);
        assert.ok(maxRelErr(runs[1][1], want.b) < 1e-5, `b ${what}`);
        assert.ok(maxRelErr(runs[1][2], want.c) < 1e-5, `c ${what}`);
      }
    }
  } finally {
    setNumThreads(before);
  }
});

test('an async epoch gives the one-thread result while the thread count changes under it (no deadlock)', async () => {
  const r = rng(39);
  // Long enough (tens of ms) that the toggling below runs while the worker is inside the epoch.
  const [N, V, H] = [20000, 32, 48];
  const o = epochOptions({ visible: 'bernoulli', batchSize: 128 });
  const start = model(r, V, H, 0.1);
  const x = data(r, 'bernoulli', N * V);
  const order = Int32Array.from({ length: N }, (_, i) => (i * 11) % N);
  const run = async (from: number, to: number) => {
    const m = copyModel(start);
    const vel = { W: new Float32Array(H * V), b: new Float32Array(V), c: new Float32Array(H) };
    setNumThreads(from);
    let settled = false;
    const pending = rbmTrainEpochAsync(o, N, m, x, order, vel, null, nanF32(1)).finally(() => { settled = true; });
    // Switch between the two counts on every turn of the event loop until the epoch ends, so resizes
    // are asked for while the worker is inside the epoch, not only before it starts. A resize asked
    // for while a region runs is taken on by the next region (threadpool.cc; it used to wait for the
    // region lock, and one call blocked 230 ms of a 235 ms epoch on 2 busy cores), so where it lands
    // is up to the scheduler (the count of switches is not asserted): it must not change a bit.
    let switches = 0;
    while (!settled) {
      setNumThreads(switches % 2 === 0 ? to : from);
      switches++;
      await new Promise((done) => setImmediate(done));
    }
    await pending;
    return m.W;
  };
  const before = getNumThreads();
  try {
    const want = await run(1, 1);
    for (const [from, to] of [[3, 2], [3, 1], [2, 3], [2, 1]]) assert.equal(await run(from, to), want, `${from} <-> ${to}`);
  } finally {
    setNumThreads(before);
  }
});

test('async forms give the same results', async () => {
  const r = rng(38);
  const [N, V, H] = [9, 6, 4];
  const m = model(r, V, H);
  const x = data(r, 'gaussian', N * V);
  const a = nanF32(N * H), b = nanF32(N * H);
  rbmHiddenProbs(N, V, H, x, m.W, m.c, a);
  await rbmHiddenProbsAsync(N, V, H, x, m.W, m.c, b);
  assert.equal(b, a);
  const h = randomF32(r, N * H, 0, 1);
  const X1 = nanF32(N * V), X2 = nanF32(N * V);
  rbmVisibleMeans('bernoulli', N, V, H, h, m.W, m.b, X1);
  await rbmVisibleMeansAsync('bernoulli', N, V, H, h, m.W, m.b, X2);
  assert.equal(X2, X1);
  const F1 = nanF32(N), F2 = nanF32(N);
  rbmFreeEnergy('gaussian', N, V, H, x, m.W, m.b, m.c, F1);
  await rbmFreeEnergyAsync('gaussian', N, V, H, x, m.W, m.b, m.c, F2);
  assert.equal(F2, F1);
  const g1 = gradient(V, H), g2 = gradient(V, H);
  rbmCdGradient({ visible: 'gaussian', gibbsSteps: 2, persistent: false }, N, m, x, null, 1, 2, g1);
  await rbmCdGradientAsync({ visible: 'gaussian', gibbsSteps: 2, persistent: false }, N, m, x, null, 1, 2, g2);
  assert.equal(g2, g1);
  const order = Int32Array.from({ length: N }, (_, i) => N - 1 - i);
  const m1 = copyModel(m), m2 = copyModel(m);
  const vel = () => ({ W: new Float32Array(H * V), b: new Float32Array(V), c: new Float32Array(H) });
  const s1 = nanF32(1), s2 = nanF32(1);
  rbmTrainEpoch(epochOptions(), N, m1, x, order, vel(), null, s1);
  await rbmTrainEpochAsync(epochOptions(), N, m2, x, order, vel(), null, s2);
  assert.equal(m2, m1);
  assert.equal(s2, s1);
});

test('bad arguments throw TypeError/RangeError naming them', async () => {
  const [N, V, H] = [3, 4, 2];
  const x = new Float32Array(N * V).fill(0.5), W = new Float32Array(H * V).fill(0.1), c = new Float32Array(H), b = new Float32Array(V);
  const hp = (...a: unknown[]) => () => (rbmHiddenProbs as (...a: unknown[]) => void)(...a);
  const fe = (...a: unknown[]) => () => (rbmFreeEnergy as (...a: unknown[]) => void)(...a);
  const P = new Float32Array(N * H), F = new Float32Array(N);
  assert.not.throws(hp(N, V, H, x, W, c, P));
  throwsError(hp(0, V, H, x, W, c, P), RangeError, /N/);
  throwsError(hp(N, -4, H, x, W, c, P), RangeError, /V/);
  throwsError(hp(N, V, Number.NaN, x, W, c, P), RangeError, /H/);
  throwsError(hp(N, V, '2', x, W, c, P), TypeError, /H/);
  throwsError(hp(N, V, H, x.subarray(1), W, c, P), RangeError, /x must be a Float32Array of length 12/);
  throwsError(hp(N, V, H, Array.from(x), W, c, P), TypeError, /x/);
  throwsError(hp(N, V, H, x, W, c, new Float32Array(N * H + 1)), RangeError, /P/);
  throwsError(hp(N, V, H, x, W, c, detached(N * H)), TypeError, /detached/);
  throwsError(hp(N, V, H, detached(N * V), W, c, P), TypeError, /detached/);
  throwsError(hp(N, V, H, Float32Array.from(x).fill(Number.NaN, 5, 6), W, c, P), RangeError, /x must hold finite numbers, got NaN at index 5/);
  throwsError(hp(N, V, H, x, W, c, x.subarray(0, N * H)), RangeError, /P must not share memory with x/);
  assert.not.throws(fe('gaussian', N, V, H, x, W, b, c, F));
  throwsError(fe('poisson', N, V, H, x, W, b, c, F), RangeError, /visible must be one of 'bernoulli', 'gaussian', got 'poisson'/);
  throwsError(fe(1, N, V, H, x, W, b, c, F), TypeError, /visible/);
  throwsError(fe('gaussian', N, V, H, x, W, new Float32Array(V + 1), c, F), RangeError, /b/);
  throwsError(fe('gaussian', N, V, H, x, W, b, Float32Array.of(Number.POSITIVE_INFINITY, 0), F), RangeError, /c must hold finite/);
  throwsError(() => rbmVisibleMeans('gaussian', N, V, H, new Float32Array(N * H), W, b, new Float32Array(N * V - 1)), RangeError, /X/);
  throwsError(() => rbmSampleBernoulli(new Float32Array(0), 1, 2), RangeError, /p must not be empty/);
  throwsError(() => rbmSampleBernoulli(new Float32Array(4), -1, 2), RangeError, /seed/);
  throwsError(() => rbmSampleBernoulli(new Float32Array(4), 1, 2 ** 53), RangeError, /stream/);
  throwsError(() => rbmSampleBernoulli(new Float32Array(4), 1, 2, 1.5), RangeError, /offset/);
  throwsError(() => rbmSampleBernoulli(new Float32Array(4), 1, 2, 0, new Float32Array(3)), RangeError, /out/);

  const mdl = { V, H, W, b, c };
  const g = gradient(V, H);
  const cd = (o: object, chain: Float32Array | null, mm = N, grad = g) => () => rbmCdGradient(o as never, mm, mdl, x, chain, 1, 2, grad);
  assert.not.throws(cd({ visible: 'gaussian', gibbsSteps: 1, persistent: false }, null));
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 0, persistent: false }, null), RangeError, /gibbsSteps/);
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 1.5, persistent: false }, null), RangeError, /gibbsSteps/);
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 1, persistent: 'yes' }, null), TypeError, /persistent/);
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 1, persistent: false }, new Float32Array(N * H)), TypeError, /chain must be null unless persistent/);
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 1, persistent: true }, null), TypeError, /chain must be a Float32Array/);
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 1, persistent: true }, new Float32Array(N * H - 1)), RangeError, /chain/);
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 1, persistent: false }, null, 0), RangeError, /m/);
  throwsError(cd({ visible: 'gaussian', gibbsSteps: 1, persistent: false }, null, N, { ...g, dW: g.db }), RangeError, /dW/);
  throwsError(cd(null as never, null), TypeError, /rbmCdGradient: options must be an object/);

  const order = Int32Array.from([0, 1, 2]);
  const vel = { W: new Float32Array(H * V), b: new Float32Array(V), c: new Float32Array(H) };
  const stats = new Float32Array(1);
  const ep = (over: Partial<RbmEpochOptions>, o2: { order?: Int32Array; chain?: Float32Array | null; v?: typeof vel; n?: number } = {}) => () =>
    rbmTrainEpoch(epochOptions(over), o2.n ?? N, { V, H, W: Float32Array.from(W), b: new Float32Array(V), c: new Float32Array(H) }, x,
      o2.order ?? order, o2.v ?? vel, o2.chain ?? null, stats);
  assert.not.throws(ep({}));
  throwsError(ep({ batchSize: 0 }), RangeError, /batchSize/);
  throwsError(ep({ learningRate: 0 }), RangeError, /learningRate must be > 0/);
  throwsError(ep({ learningRate: Number.NaN }), RangeError, /learningRate/);
  throwsError(ep({ momentum: 1 }), RangeError, /momentum/);
  throwsError(ep({ momentum: -0.1 }), RangeError, /momentum/);
  throwsError(ep({ weightDecay: -1 }), RangeError, /weightDecay/);
  throwsError(ep({ epoch: 2 ** 20 }), RangeError, /epoch/);
  throwsError(ep({ seed: 0.5 }), RangeError, /seed/);
  throwsError(ep({}, { order: Int32Array.from([0, 3, 1]) }), RangeError, /order values must be in \[0, 2\], got 3 at index 1/);
  throwsError(ep({}, { order: Int32Array.from([0, -1, 1]) }), RangeError, /order/);
  throwsError(ep({}, { order: detachedI32(3) }), TypeError, /order is backed by a detached ArrayBuffer/);
  throwsError(ep({ persistent: true }), TypeError, /chain/);
  throwsError(ep({ persistent: true, batchSize: 8 }, { chain: new Float32Array(8 * H) }), RangeError, /chain must be a Float32Array of length 6/);
  assert.not.throws(ep({ persistent: true, batchSize: 8 }, { chain: new Float32Array(N * H) }));
  throwsError(ep({}, { v: { ...vel, W: vel.b } }), RangeError, /velW/);
  throwsError(ep({}, { v: { ...vel, c: Float32Array.of(Number.NaN, 0) } }), RangeError, /velC must hold finite/);
  const shared = copyModel(mdl);
  throwsError(() => rbmTrainEpoch(epochOptions(), N, shared, x, order, { ...vel, W: shared.W }, null, stats), RangeError, /W must not share memory with velW/);
  await rejectsError(rbmTrainEpochAsync(epochOptions({ batchSize: -2 }), N, copyModel(mdl), x, order, vel, null, stats), RangeError, /batchSize/);
  await rejectsError(rbmTrainEpochAsync(null as never, N, copyModel(mdl), x, order, vel, null, stats), TypeError, /options must be an object/);
  await rejectsError(rbmFreeEnergyAsync('gaussian', N, V, H, x, W, b, c, new Float32Array(1)), RangeError, /F/);
});

// scikit-learn's BernoulliRBM: free energy (_free_energy), transform (hidden probabilities) and
// score_samples, the pseudo-likelihood -V * log(1 + exp(-(F(v~) - F(v)))) with one feature of
// each row flipped.
const fx = JSON.parse(readFileSync(new URL('./fixtures/rbm_sklearn.json', import.meta.url), 'utf8')) as {
  cases: Array<{ name: string; rows: number; features: number; components: number; x: number[]; W: number[]; b: number[]; c: number[];
    freeEnergy: number[]; flip: number[]; scoreSamples: number[]; hiddenProbs: number[] }>;
};

test('free energy, hidden probabilities and pseudo-likelihood equal scikit-learn BernoulliRBM on its weights', () => {
  for (const k of fx.cases) {
    const [N, V, H] = [k.rows, k.features, k.components];
    const x = Float32Array.from(k.x), W = Float32Array.from(k.W), b = Float32Array.from(k.b), c = Float32Array.from(k.c);
    const F = nanF32(N);
    rbmFreeEnergy('bernoulli', N, V, H, x, W, b, c, F);
    assert.ok(maxRelErr(F, k.freeEnergy) < 1e-5, `${k.name} free energy`);
    const P = nanF32(N * H);
    rbmHiddenProbs(N, V, H, x, W, c, P);
    assert.ok(maxRelErr(P, k.hiddenProbs) < 1e-5, `${k.name} transform`);
    const flipped = Float32Array.from(x);
    k.flip.forEach((j, r) => (flipped[r * V + j] = 1 - flipped[r * V + j]));
    const F2 = nanF32(N);
    rbmFreeEnergy('bernoulli', N, V, H, flipped, W, b, c, F2);
    const pl = Array.from(F, (f, r) => {
      const d = F2[r] - f;
      return -V * (d > 0 ? Math.log1p(Math.exp(-d)) : -d + Math.log1p(Math.exp(d)));
    });
    assert.ok(maxRelErr(pl, k.scoreSamples) < 1e-4, `${k.name} score_samples`);
  }
});

test.run();
