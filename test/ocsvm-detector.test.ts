// OneClassSVM as a vigil Detector: options, input checks, signs and thresholds, abort and
// progress, save/load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { quantile } from '../ts/models/detectors/threshold.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import type { OneClassSVMOptions } from '../ts/models/detectors/ocsvm.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

function table(seed: number, n: number, d: number, lo = -1, hi = 1) {
  return tensor(randomF32(rng(seed), n * d, lo, hi), [n, d]);
}

test('options are checked, with scikit-learn defaults', () => {
  const d = new OneClassSVM();
  assert.equal(
    [d.kernel, d.gamma, d.degree, d.coef0, d.nu, d.tol, d.cacheSize, d.maxIter, d.shrinking, d.rhoThreshold],
    ['rbf', 'scale', 3, 0, 0.5, 1e-3, 200, -1, true, false],
  );
  assert.equal(d.thresholdRule, { kind: 'contamination', value: 0.1 });
  const bad = (o: unknown, type: new (...a: never[]) => Error, re: RegExp) => throwsError(() => new OneClassSVM(o as OneClassSVMOptions), type, re);
  bad({ nu: 0 }, RangeError, /nu must be in \(0, 1\], got 0/);
  bad({ nu: 1.01 }, RangeError, /nu/);
  bad({ nu: -0.5 }, RangeError, /nu/);
  bad({ nu: '0.5' }, TypeError, /nu must be a number/);
  bad({ gamma: 0 }, RangeError, /gamma must be > 0, 'scale' or 'auto', got 0/);
  bad({ gamma: -2 }, RangeError, /gamma/);
  bad({ gamma: 'big' }, TypeError, /gamma must be a number/);
  bad({ gamma: Infinity }, RangeError, /gamma/);
  bad({ kernel: 'laplacian' }, RangeError, /kernel must be one of linear, poly, rbf, sigmoid/);
  bad({ degree: 2.5 }, RangeError, /degree/);
  bad({ degree: -1 }, RangeError, /degree/);
  bad({ tol: 0 }, RangeError, /tol/);
  bad({ cacheSize: 0 }, RangeError, /cacheSize/);
  bad({ maxIter: -3 }, RangeError, /maxIter/);
  bad({ shrinking: 'yes' }, TypeError, /shrinking/);
  bad({ threshold: 'auto' }, TypeError, /threshold must be 'rho'/);
  bad({ threshold: 'rho', contamination: 0.1 }, TypeError, /excludes contamination/);
  bad({ contamination: 0.9 }, RangeError, /contamination/);
  bad(null, TypeError, /options must be an object/);
});

test('scores are minus the decision values; contamination flags its share of the training rows', async () => {
  const x = table(1, 400, 5);
  const det = await new OneClassSVM({ nu: 0.1, contamination: 0.05 }).fit(x);
  const scores = await det.scoreSamples(x);
  const dec = await det.decisionValues(x);
  for (let i = 0; i < scores.length; i++) assert.is(scores[i], -dec[i]);
  assert.equal(det.scoreSamplesSync(x), scores);
  assert.ok(Math.abs(det.threshold - quantile(scores, 0.95)) < 1e-6);
  const flagged = (await det.predict(x)).reduce((a, b) => a + b, 0);
  assert.ok(flagged >= 19 && flagged <= 20, `flagged ${flagged} of 400 at contamination 0.05`);
  const df = await det.decisionFunction(x);
  for (let i = 0; i < df.length; i++) assert.ok(Math.abs(df[i] - (scores[i] - det.threshold)) < 1e-6);
  // Rows far from the training data score higher (more anomalous) than the training rows.
  const far = await det.scoreSamples(tensor(Float32Array.of(9, 9, 9, 9, 9, -7, 8, -9, 6, 5), [2, 5]));
  assert.ok(far[0] > Math.max(...scores) && far[1] > Math.max(...scores));
  // The fitted model: nu bounds the support vectors from below, sum alpha = nu n.
  assert.ok(det.support.length >= 40);
  assert.ok(Math.abs(det.dualCoef.reduce((s, a) => s + a, 0) - 40) < 1e-4);
  assert.is(det.supportVectors.length, det.support.length * 5);
  assert.equal(Array.from(det.supportVectors.subarray(0, 5)), Array.from(x.data.subarray(det.support[0] * 5, det.support[0] * 5 + 5)));
  assert.is(det.nFeatures, 5);
  assert.is(det.fitStatus, 'converged');
  assert.ok(det.nIter > 0);
});

test("threshold 'rho' puts the boundary at decision value 0, about nu of the training rows outside", async () => {
  const x = table(2, 500, 3);
  const det = await new OneClassSVM({ nu: 0.2, threshold: 'rho' }).fit(x);
  assert.is(det.threshold, 0);
  const dec = await det.decisionValues(x);
  const flagged = await det.predict(x);
  let outside = 0;
  for (let i = 0; i < dec.length; i++) {
    assert.is(flagged[i], dec[i] < 0 ? 1 : 0);
    outside += flagged[i];
  }
  // nu is an upper bound on the share of training errors (and close to it).
  assert.ok(outside <= 0.2 * 500 + 1 && outside >= 0.15 * 500, `${outside} of 500 outside at nu 0.2`);
});

test('gamma scale and auto resolve as scikit-learn; constant columns and a constant table fit', async () => {
  const x = table(3, 200, 4, 0, 3);
  let mean = 0, v = 0;
  for (const a of x.data) mean += a / x.data.length;
  for (const a of x.data) v += (a - mean) ** 2 / x.data.length;
  assert.ok(Math.abs((await new OneClassSVM().fit(x)).gammaValue - 1 / (4 * v)) < 1e-12);
  assert.is((await new OneClassSVM({ gamma: 'auto' }).fit(x)).gammaValue, 0.25);
  assert.is((await new OneClassSVM({ gamma: 0.7 }).fit(x)).gammaValue, 0.7);
  const withConst = Float32Array.from(x.data);
  for (let i = 0; i < 200; i++) withConst[i * 4 + 1] = 2.5;
  const det = await new OneClassSVM({ nu: 0.1 }).fit(tensor(withConst, [200, 4]));
  assert.ok((await det.scoreSamples(tensor(withConst, [200, 4]))).every(Number.isFinite));
  // Every value equal: variance 0, gamma 1 (scikit-learn's rule); the kernel is constant.
  const flat = await new OneClassSVM({ nu: 0.5 }).fit(tensor(new Float32Array(40).fill(1.5), [20, 2]));
  assert.is(flat.gammaValue, 1);
  assert.ok((await flat.scoreSamples([[1.5, 1.5]]))[0] === (await flat.scoreSamples([[1.5, 1.5]]))[0]);
});

test('one row, and input checks: NaN, Infinity, no rows, width mismatch, nu = 1', async () => {
  const one = await new OneClassSVM({ nu: 0.5 }).fit([[1, 2, 3]]);
  assert.is(one.support.length, 1);
  assert.ok(Math.abs(one.rho - 0.5) < 1e-12);
  assert.ok(Math.abs((await one.scoreSamples([[1, 2, 3]]))[0]) < 1e-6, 'the one row lies on the boundary');
  const det = new OneClassSVM();
  await rejectsError(det.scoreSamples([[1, 2]]), Error, /not fitted yet/);
  throwsError(() => det.supportVectors, Error, /not fitted yet/);
  throwsError(() => det.scoreSamplesSync([[1]]), Error, /not fitted yet/);
  await rejectsError(det.fit([[1, NaN]]), RangeError, /x\[0\]\[1\] is NaN/);
  await rejectsError(det.fit([[1, 2], [Infinity, 0]]), RangeError, /x\[1\]\[0\] is Infinity/);
  await rejectsError(det.fit([]), RangeError, /no rows/);
  await rejectsError(det.fit([[]]), RangeError, /0 features/);
  await rejectsError(det.fit(tensor(new Float32Array(0), [0, 3])), RangeError, /no rows/);
  await det.fit(table(4, 50, 3));
  await rejectsError(det.scoreSamples(table(5, 4, 4)), RangeError, /4 features per row, the detector was fitted on 3/);
  await rejectsError(det.decisionValues(table(5, 4, 2)), RangeError, /2 features per row/);
  throwsError(() => det.scoreSamplesSync(table(5, 4, 5)), RangeError, /5 features per row/);
  await rejectsError(det.scoreSamples([[1, NaN, 3]]), RangeError, /is NaN/);
  // nu = 1 makes every row a support vector at its bound: the offset is infinite (scikit-learn refuses it too).
  await rejectsError(new OneClassSVM({ nu: 1 }).fit(table(6, 30, 2)), RangeError, /rho is not finite/);
});

test('an aborted fit rejects with the reason and leaves the detector as it was; progress reaches the end', async () => {
  const x = table(7, 3000, 8);
  const c = new AbortController();
  const det = new OneClassSVM({ nu: 0.3 });
  const p = det.fit(x, { signal: c.signal });
  c.abort(new Error('enough'));
  await rejectsError(p, Error, /enough/);
  assert.not.ok(det.fitted);
  const pre = new AbortController();
  pre.abort(new Error('before'));
  await rejectsError(new OneClassSVM().fit(x, { signal: pre.signal }), Error, /before/);

  const seen: Array<[number, number]> = [];
  const fitted = await new OneClassSVM({ nu: 0.1 }).fit(table(8, 300, 4), { onProgress: (done, total) => seen.push([done, total]) });
  assert.ok(seen.length >= 1);
  assert.equal(seen[seen.length - 1], [fitted.nIter, fitted.nIter]);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] >= seen[i - 1][0]);
  // A throwing callback stops the fit and its error comes out of fit().
  await rejectsError(new OneClassSVM().fit(table(9, 100, 3), { onProgress: () => { throw new RangeError('no progress wanted'); } }), RangeError, /no progress wanted/);
  // maxIter: the last report says so, and the status too.
  const capped: Array<[number, number]> = [];
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const det2 = await new OneClassSVM({ maxIter: 5 }).fit(table(10, 200, 3), { onProgress: (d, t) => capped.push([d, t]) });
    assert.is(det2.fitStatus, 'maxIter');
    assert.equal(capped[capped.length - 1], [5, 5]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(warnings.some((w) => /stopped at maxIter \(5\)/.test(w)), warnings.join('; '));
  } finally {
    process.off('warning', onWarning);
  }
});

test('save/load round trip keeps the model, its threshold rule and its scores', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ocsvm-'));
  try {
    const x = table(11, 300, 6);
    for (const opts of [
      { kernel: 'rbf', nu: 0.15, thresholdQuantile: 0.99 },
      { kernel: 'poly', degree: 2, gamma: 'auto', coef0: 1, nu: 0.3, threshold: 'rho' },
      { kernel: 'sigmoid', gamma: 0.05, coef0: 0.1, nu: 0.2, contamination: 0.2, cacheSize: 10, shrinking: false },
      { kernel: 'linear', nu: 0.25 },
    ] as OneClassSVMOptions[]) {
      const det = await new OneClassSVM(opts).fit(x);
      const path = join(dir, `${opts.kernel}.vigil`);
      await det.save(path);
      const back = await loadDetector<OneClassSVM>(path, 'OneClassSVM');
      assert.ok(back instanceof OneClassSVM);
      assert.is(back.threshold, det.threshold);
      assert.is(back.rhoThreshold, det.rhoThreshold);
      assert.equal(back.thresholdRule, det.thresholdRule);
      assert.equal([back.kernel, back.gamma, back.degree, back.coef0, back.nu, back.tol, back.cacheSize, back.maxIter, back.shrinking],
        [det.kernel, det.gamma, det.degree, det.coef0, det.nu, det.tol, det.cacheSize, det.maxIter, det.shrinking]);
      assert.is(back.rho, det.rho);
      assert.is(back.gammaValue, det.gammaValue);
      assert.is(back.nIter, det.nIter);
      assert.equal(back.support, det.support);
      assert.equal(back.dualCoef, det.dualCoef);
      assert.equal(await back.scoreSamples(x), await det.scoreSamples(x));
      assert.equal(await back.predict(x), await det.predict(x));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
