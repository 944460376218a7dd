// The one-class SVM kernels at the binding level: the dual's constraints and KKT conditions
// against float64 kernels, the decision function against a float64 reference on every SIMD
// path, thread-count and cache-size invariance, stopping, and bad arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getNumThreads, setNumThreads, setSimdCap } from '../ts/bindings/backend.ts';
import { OCSVM_CTRL, ocsvmDecision, ocsvmDecisionAsync, ocsvmFit, ocsvmFitAsync } from '../ts/bindings/ocsvm.ts';
import type { OcsvmFitSpec, SvmKernelName, SvmKernelSpec } from '../ts/bindings/ocsvm.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { allWritten, detached, detachedI32, nanF32, randomF32, rng } from './helpers/random.ts';
import { simdPaths } from './helpers/simd.ts';

/** K(a, b) in float64 (rbf as |a|² + |b|² - 2 a.b, libsvm's form). */
function kernelRef(k: SvmKernelSpec, a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, d: number): number {
  let dot = 0, aa = 0, bb = 0;
  for (let c = 0; c < d; c++) {
    dot += a[ai * d + c] * b[bi * d + c];
    aa += a[ai * d + c] ** 2;
    bb += b[bi * d + c] ** 2;
  }
  switch (k.kernel) {
    case 'linear': return dot;
    case 'poly': return (k.gamma * dot + k.coef0) ** k.degree;
    case 'rbf': return Math.exp(-k.gamma * (aa + bb - 2 * dot));
    case 'sigmoid': return Math.tanh(k.gamma * dot + k.coef0);
  }
}

function decisionRef(k: SvmKernelSpec, m: number, d: number, x: Float32Array, sv: Float32Array, coef: Float32Array, rho: number): Float64Array {
  const out = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    let s = 0;
    for (let j = 0; j < coef.length; j++) s += coef[j] * kernelRef(k, x, r, sv, j, d);
    out[r] = s - rho;
  }
  return out;
}

const KERNELS: Record<SvmKernelName, SvmKernelSpec> = {
  rbf: { kernel: 'rbf', gamma: 0.4, degree: 3, coef0: 0 },
  linear: { kernel: 'linear', gamma: 1, degree: 3, coef0: 0 },
  poly: { kernel: 'poly', gamma: 0.3, degree: 3, coef0: 0.7 },
  sigmoid: { kernel: 'sigmoid', gamma: 0.1, degree: 3, coef0: 0.3 },
};

function spec(k: SvmKernelSpec, o: Partial<OcsvmFitSpec> = {}): OcsvmFitSpec {
  return { ...k, nu: 0.2, tol: 1e-3, cacheMB: 200, maxIter: -1, shrinking: true, ...o };
}

/** Rows drawn around 1 (a one-class problem away from the origin, so linear has a boundary). */
function rows(seed: number, n: number, d: number): Float32Array {
  return randomF32(rng(seed), n * d, 0, 2);
}

test('dual constraints and KKT conditions hold within tol for every kernel', () => {
  const [n, d] = [157, 6];
  const x = rows(1, n, d);
  for (const k of Object.values(KERNELS)) {
    for (const nu of [0.05, 0.3, 0.77]) {
      const tol = 1e-3;
      const alpha = nanF32(n);
      const res = ocsvmFit(n, d, x, spec(k, { nu, tol }), alpha);
      assert.ok(allWritten(alpha), `${k.kernel}: every alpha written`);
      assert.is(res.status, 'converged');
      // libsvm's scaling: 0 <= alpha_i <= 1, sum alpha = nu n.
      let sum = 0, nSV = 0;
      for (const a of alpha) {
        assert.ok(a >= 0 && a <= 1, `${k.kernel}: alpha ${a} outside [0, 1]`);
        sum += a;
        if (a > 0) nSV++;
      }
      assert.ok(Math.abs(sum - nu * n) <= 1e-5 * nu * n, `${k.kernel} nu ${nu}: sum alpha ${sum} != ${nu * n}`);
      assert.is(res.supportVectors, nSV);
      assert.ok(nSV >= Math.floor(nu * n), `${k.kernel}: ${nSV} support vectors, nu n = ${nu * n}`);
      // G_i = sum_j alpha_j K_ij; free alphas sit on rho, alphas at 0 above it, at 1 below it (within tol).
      const G = new Float64Array(n);
      let gMax = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) if (alpha[j] > 0) G[i] += alpha[j] * kernelRef(k, x, i, x, j, d);
        gMax = Math.max(gMax, Math.abs(G[i]));
      }
      const slack = tol + 1e-6 * gMax;
      for (let i = 0; i < n; i++) {
        const what = `${k.kernel} nu ${nu} row ${i}: alpha ${alpha[i]}, G ${G[i]}, rho ${res.rho}`;
        if (alpha[i] === 0) assert.ok(G[i] >= res.rho - slack, what);
        else if (alpha[i] === 1) assert.ok(G[i] <= res.rho + slack, what);
        else assert.ok(Math.abs(G[i] - res.rho) <= slack, what);
      }
      // The objective is 0.5 alpha' Q alpha.
      let obj = 0;
      for (let i = 0; i < n; i++) obj += 0.5 * alpha[i] * G[i];
      assert.ok(Math.abs(res.objective - obj) <= 1e-5 * Math.max(1, Math.abs(obj)), `${k.kernel}: objective ${res.objective} vs ${obj}`);
    }
  }
});

test('a tighter tol moves the solution less than the looser one allows', () => {
  const [n, d] = [120, 4];
  const x = rows(2, n, d);
  const k = KERNELS.rbf;
  const loose = new Float32Array(n), tight = new Float32Array(n);
  const a = ocsvmFit(n, d, x, spec(k, { tol: 1e-1 }), loose);
  const b = ocsvmFit(n, d, x, spec(k, { tol: 1e-7 }), tight);
  assert.ok(b.iterations > a.iterations);
  assert.ok(b.objective <= a.objective + 1e-12, 'the tighter fit reaches a lower objective');
  // Decision values of the two fits differ by about the looser tolerance at most.
  const sv = (alpha: Float32Array) => {
    const idx = [...alpha.keys()].filter((i) => alpha[i] > 0);
    return { sv: Float32Array.from(idx.flatMap((i) => [...x.subarray(i * d, (i + 1) * d)])), coef: Float32Array.from(idx, (i) => alpha[i]) };
  };
  const A = sv(loose), B = sv(tight);
  const da = decisionRef(k, n, d, x, A.sv, A.coef, a.rho), db = decisionRef(k, n, d, x, B.sv, B.coef, b.rho);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(da[i] - db[i]) < 0.2, `row ${i}: ${da[i]} vs ${db[i]}`);
});

test('shrinking off, a two-row cache and 1-3 threads all give bitwise the same solution', () => {
  const [n, d] = [1500, 7];
  const x = rows(3, n, d);
  const before = getNumThreads();
  try {
    for (const k of Object.values(KERNELS)) {
      setNumThreads(1);
      const ref = new Float32Array(n);
      const r0 = ocsvmFit(n, d, x, spec(k, { nu: 0.1 }), ref);
      // The cache and the threads change only how fast Q is produced, never its values.
      for (const [threads, cacheMB] of [[2, 200], [3, 200], [1, 1e-6], [2, 0.05]] as const) {
        setNumThreads(threads);
        const alpha = new Float32Array(n);
        const r = ocsvmFit(n, d, x, spec(k, { nu: 0.1, cacheMB }), alpha);
        assert.equal(alpha, ref, `${k.kernel}: threads ${threads}, cache ${cacheMB} MiB`);
        assert.is(r.rho, r0.rho);
        assert.is(r.iterations, r0.iterations);
      }
      // Without shrinking the path differs but the solution is the same within tol.
      const alpha = new Float32Array(n);
      const r = ocsvmFit(n, d, x, spec(k, { nu: 0.1, shrinking: false, tol: 1e-3 }), alpha);
      assert.ok(Math.abs(r.rho - r0.rho) < 1e-2 * Math.max(1, Math.abs(r0.rho)), `${k.kernel}: rho ${r.rho} vs ${r0.rho}`);
    }
  } finally {
    setNumThreads(before);
  }
});

test('decision function matches the float64 reference on every SIMD path and shape', () => {
  const r = rng(4);
  const shapes: Array<[number, number, number]> = [[1, 1, 1], [1, 5, 3], [7, 3, 17], [43, 9, 33], [100, 20, 130], [85, 2, 2100]];
  for (const level of simdPaths()) {
    setSimdCap(level);
    try {
      for (const k of Object.values(KERNELS)) {
        for (const [m, d, nSV] of shapes) {
          const x = randomF32(r, m * d, -1, 1), sv = randomF32(r, nSV * d, -1, 1), coef = randomF32(r, nSV, 0.01, 1);
          const rho = 0.37;
          const out = nanF32(m);
          ocsvmDecision(m, d, nSV, x, sv, coef, k, rho, out);
          assert.ok(allWritten(out), `${level} ${k.kernel} ${m}x${d}x${nSV}: every row written`);
          const ref = decisionRef(k, m, d, x, sv, coef, rho);
          // Relative to the sum of |terms|: float32 accumulation of terms of both signs.
          const scale = coef.reduce((s, c) => s + c, 0) * (k.kernel === 'poly' ? 4 : k.kernel === 'linear' ? d : 1) + rho;
          for (let i = 0; i < m; i++) {
            assert.ok(Math.abs(out[i] - ref[i]) <= 1e-5 * scale, `${level} ${k.kernel} ${m}x${d}x${nSV} row ${i}: ${out[i]} vs ${ref[i]}`);
          }
        }
      }
    } finally {
      setSimdCap('avx512');
    }
  }
});

test('rbf rows far from the support vectors take the exact route, not the cancelling expansion', () => {
  // Values near 3000 with spreads near 1: |x|² ~ 1e8, so float32 |x|² + |sv|² - 2 x.sv would
  // lose every digit of the distances (~10); those rows are computed from the differences.
  const r = rng(5);
  const [m, d, nSV] = [30, 8, 40];
  const x = Float32Array.from(randomF32(r, m * d, -2, 2), (v) => v + 3000);
  const sv = Float32Array.from(randomF32(r, nSV * d, -2, 2), (v) => v + 3000 + (r() > 0.5 ? 500 : 0));
  const coef = randomF32(r, nSV, 0.1, 1);
  const k: SvmKernelSpec = { kernel: 'rbf', gamma: 0.2, degree: 3, coef0: 0 };
  for (const level of simdPaths()) {
    setSimdCap(level);
    try {
      const out = nanF32(m);
      ocsvmDecision(m, d, nSV, x, sv, coef, k, 0.1, out);
      const ref = decisionRef(k, m, d, x, sv, coef, 0.1);
      for (let i = 0; i < m; i++) assert.ok(Math.abs(out[i] - ref[i]) <= 1e-5 * (1 + Math.abs(ref[i])), `${level} row ${i}: ${out[i]} vs ${ref[i]}`);
    } finally {
      setSimdCap('avx512');
    }
  }
});

test('decision function is bitwise the same for 1, 2 and 3 threads', () => {
  const r = rng(6);
  const [m, d, nSV] = [3001, 13, 555];
  const x = randomF32(r, m * d), sv = randomF32(r, nSV * d), coef = randomF32(r, nSV, 0, 1);
  const before = getNumThreads();
  try {
    for (const k of Object.values(KERNELS)) {
      const outs = [1, 2, 3].map((t) => {
        setNumThreads(t);
        const out = nanF32(m);
        ocsvmDecision(m, d, nSV, x, sv, coef, k, 0.5, out);
        return out;
      });
      assert.equal(outs[1], outs[0], `${k.kernel}: 2 threads`);
      assert.equal(outs[2], outs[0], `${k.kernel}: 3 threads`);
    }
  } finally {
    setNumThreads(before);
  }
});

test('one row, nu = 1, maxIter and a stop request', () => {
  const k = KERNELS.rbf;
  // One row: its alpha is nu, free, and rho = nu K(x, x) = nu.
  const one = new Float32Array(1);
  const r1 = ocsvmFit(1, 3, Float32Array.of(0.5, -1, 2), spec(k, { nu: 0.4 }), one);
  assert.ok(Math.abs(one[0] - 0.4) < 1e-7 && Math.abs(r1.rho - 0.4) < 1e-12, `${one[0]} ${r1.rho}`);
  // nu = 1: every alpha at its bound, none free and none at 0: rho is the middle of (lb, +inf).
  const all = new Float32Array(20);
  const r2 = ocsvmFit(20, 2, rows(7, 20, 2), spec(k, { nu: 1 }), all);
  assert.ok(all.every((a) => a === 1));
  assert.is(r2.rho, Infinity);
  // maxIter stops the solver: status says so, the iterations are the cap.
  const [n, d] = [400, 5];
  const x = rows(8, n, d);
  const alpha = new Float32Array(n);
  const r3 = ocsvmFit(n, d, x, spec(k, { maxIter: 7 }), alpha);
  assert.is(r3.status, 'maxIter');
  assert.is(r3.iterations, 7);
  assert.ok(Math.abs(alpha.reduce((s, a) => s + a, 0) - 0.2 * n) < 1e-3, 'a stopped fit still satisfies sum alpha = nu n');
  const r4 = ocsvmFit(n, d, x, spec(k, { maxIter: 0 }), alpha);
  assert.is(r4.status, 'maxIter');
  assert.is(r4.iterations, 0);
  // A stop request before the first check: the fit returns at once, marked aborted.
  const ctrl = new Int32Array(4);
  ctrl[OCSVM_CTRL.stop] = 1;
  const r5 = ocsvmFit(n, d, x, spec(k), alpha, ctrl);
  assert.is(r5.status, 'aborted');
  assert.is(r5.iterations, 0);
});

test('async forms give the same results', async () => {
  const [n, d] = [300, 4];
  const x = rows(9, n, d);
  const k = KERNELS.poly;
  const a = new Float32Array(n), b = new Float32Array(n);
  const ra = ocsvmFit(n, d, x, spec(k), a);
  const rb = await ocsvmFitAsync(n, d, x, spec(k), b);
  assert.equal(b, a);
  assert.equal(rb, ra);
  const out1 = nanF32(n), out2 = nanF32(n);
  ocsvmDecision(n, d, n, x, x, a, k, ra.rho, out1);
  await ocsvmDecisionAsync(n, d, n, x, x, a, k, ra.rho, out2);
  assert.equal(out2, out1);
});

test('bad arguments throw TypeError/RangeError naming them', async () => {
  const [n, d] = [6, 2];
  const x = rows(10, n, d);
  const alpha = new Float32Array(n);
  const k = KERNELS.rbf;
  const fit = (s: Partial<OcsvmFitSpec>, over: { n?: unknown; d?: unknown; x?: unknown; alpha?: unknown; ctrl?: unknown } = {}) => () =>
    (ocsvmFit as (...a: unknown[]) => unknown)(over.n ?? n, over.d ?? d, over.x ?? x, spec(k, s), over.alpha ?? alpha, over.ctrl ?? new Int32Array(4));
  assert.not.throws(fit({}));
  throwsError(fit({ nu: 0 }), RangeError, /nu must lie in \(0, 1\]/);
  throwsError(fit({ nu: 1.5 }), RangeError, /nu/);
  throwsError(fit({ nu: NaN }), RangeError, /nu/);
  throwsError(fit({ gamma: 0 }), RangeError, /gamma must be > 0/);
  throwsError(fit({ gamma: -1 }), RangeError, /gamma/);
  throwsError(fit({ gamma: 'scale' as unknown as number }), TypeError, /gamma must be a number/);
  throwsError(fit({ tol: 0 }), RangeError, /tol/);
  throwsError(fit({ cacheMB: 0 }), RangeError, /cacheMB/);
  throwsError(fit({ maxIter: -2 }), RangeError, /maxIter/);
  throwsError(fit({ maxIter: 1.5 }), RangeError, /maxIter/);
  throwsError(fit({ degree: -1 }), RangeError, /degree/);
  throwsError(fit({ kernel: 'cubic' as SvmKernelName }), RangeError, /kernel must be one of 'linear', 'poly', 'rbf', 'sigmoid'/);
  throwsError(fit({ shrinking: 1 as unknown as boolean }), TypeError, /shrinking/);
  throwsError(fit({}, { n: 0 }), RangeError, /\bn\b/);
  throwsError(fit({}, { d: 0 }), RangeError, /\bd\b/);
  throwsError(fit({}, { n: -1 }), RangeError, /\bn\b/);
  throwsError(fit({}, { x: x.subarray(1) }), RangeError, /x must be a Float32Array of length 12/);
  throwsError(fit({}, { x: Array.from(x) }), TypeError, /x must be a Float32Array/);
  throwsError(fit({}, { x: Float32Array.from(x).fill(NaN, 3, 4) }), RangeError, /x must hold finite numbers, got NaN at index 3/);
  throwsError(fit({}, { x: Float32Array.from(x).fill(Infinity, 5, 6) }), RangeError, /x must hold finite numbers/);
  throwsError(fit({}, { alpha: new Float32Array(n + 1) }), RangeError, /alpha/);
  throwsError(fit({}, { ctrl: new Int32Array(3) }), RangeError, /ctrl/);
  throwsError(fit({}, { ctrl: new Float32Array(4) }), TypeError, /ctrl/);
  throwsError(fit({}, { x: detached(n * d) }), TypeError, /x is backed by a detached ArrayBuffer/);
  throwsError(fit({}, { alpha: detached(n) }), TypeError, /alpha is backed by a detached ArrayBuffer/);
  throwsError(fit({}, { ctrl: detachedI32(4) }), TypeError, /ctrl is backed by a detached ArrayBuffer/);
  throwsError(() => ocsvmFit(n, d, x, null as unknown as OcsvmFitSpec, alpha), TypeError, /spec must be an object/);
  await rejectsError(ocsvmFitAsync(n, d, x, spec(k, { nu: 2 }), alpha), RangeError, /nu/);
  await rejectsError(ocsvmFitAsync(n, d, detached(n * d), spec(k), alpha), TypeError, /detached/);

  const sv = x.slice(0, 2 * d), coef = Float32Array.of(0.5, 0.5), out = new Float32Array(3), q = x.slice(0, 3 * d);
  const dec = (over: { m?: unknown; d?: unknown; nSV?: unknown; x?: unknown; sv?: unknown; coef?: unknown; k?: Partial<SvmKernelSpec>; rho?: unknown; out?: unknown } = {}) => () =>
    (ocsvmDecision as (...a: unknown[]) => unknown)(over.m ?? 3, over.d ?? d, over.nSV ?? 2, over.x ?? q, over.sv ?? sv, over.coef ?? coef,
      { ...k, ...over.k }, over.rho ?? 0.1, over.out ?? out);
  assert.not.throws(dec());
  throwsError(dec({ m: 0 }), RangeError, /\bm\b/);
  throwsError(dec({ nSV: 3 }), RangeError, /sv must be a Float32Array of length 6/);
  throwsError(dec({ d: 3 }), RangeError, /x must be a Float32Array of length 9/);
  throwsError(dec({ coef: Float32Array.of(NaN, 1) }), RangeError, /coef must hold finite numbers/);
  throwsError(dec({ x: Float32Array.from(q).fill(-Infinity, 0, 1) }), RangeError, /x must hold finite numbers/);
  throwsError(dec({ rho: NaN }), RangeError, /rho/);
  throwsError(dec({ k: { gamma: 0 } }), RangeError, /gamma/);
  throwsError(dec({ out: new Float32Array(2) }), RangeError, /out/);
  throwsError(dec({ out: detached(3) }), TypeError, /out is backed by a detached ArrayBuffer/);
  throwsError(dec({ sv: detached(2 * d) }), TypeError, /sv is backed by a detached ArrayBuffer/);
  await rejectsError(ocsvmDecisionAsync(3, d, 2, q, sv, coef, k, 0.1, detached(3)), TypeError, /detached/);
});

test.run();
