// vigil's OneClassSVM against scikit-learn 1.2's on the same float32 data, one case per kernel
// and per option that changes the solver's path (fixtures/make_ocsvm_fixtures.py). The solver
// follows libsvm's path step for step, so the support vectors and the iteration count are the
// same; coefficients, offset and decision values agree to float32 rounding, far inside 1e-3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { setSimdCap } from '../ts/bindings/backend.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import type { OneClassSVMOptions } from '../ts/models/detectors/ocsvm.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError } from './helpers/errors.ts';
import { simdPaths } from './helpers/simd.ts';

interface SkOptions {
  kernel: 'linear' | 'poly' | 'rbf' | 'sigmoid';
  gamma?: number | 'scale' | 'auto';
  degree?: number;
  coef0?: number;
  nu?: number;
  tol?: number;
  shrinking?: boolean;
  max_iter?: number;
}
interface Case {
  name: string;
  options: SkOptions;
  x: number[][];
  xTest: number[][];
  error?: string;
  gamma: number;
  support: number[];
  dualCoef: number[];
  offset: number;
  nIter: number;
  decisionTest: number[];
  decisionTrain: number[];
  predictTest: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/ocsvm_sklearn.json', import.meta.url), 'utf8')) as { cases: Case[] };

function vigilOptions(o: SkOptions): OneClassSVMOptions {
  return {
  kernel: o.kernel, gamma: o.gamma, degree: o.degree, coef0: o.coef0, nu: o.nu, tol: o.tol, shrinking: o.shrinking,
  maxIter: o.max_iter, threshold: 'rho',
  };
}

const table = (rows: number[][]) => tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);

/** Largest |a - b| over the elements, relative to the largest |b|: decision values cross zero. */
function scaledErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0, s = 0;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return e / s;
}

async function check(c: Case): Promise<void> {
  const det = new OneClassSVM(vigilOptions(c.options));
  if (c.error !== undefined) {
    await rejectsError(det.fit(table(c.x)), RangeError, /rho is not finite/);
    return;
  }
  await det.fit(table(c.x));
  assert.equal(Array.from(det.support), c.support, 'support vectors');
  assert.is(det.nIter, c.nIter, 'iterations');
  assert.ok(Math.abs(det.gammaValue - c.gamma) <= 1e-12 * c.gamma, `gamma ${det.gammaValue} vs ${c.gamma}`);
  assert.is(det.fitStatus, c.options.max_iter !== undefined ? 'maxIter' : 'converged');
  const coefErr = Math.max(...c.dualCoef.map((v, i) => Math.abs(det.dualCoef[i] - v)));
  assert.ok(coefErr < 1e-5, `dual coefficients differ by ${coefErr}`);
  assert.ok(Math.abs(det.rho - c.offset) <= 1e-5 * Math.max(1, Math.abs(c.offset)), `rho ${det.rho} vs ${c.offset}`);
  const held = await det.decisionValues(table(c.xTest));
  const train = await det.decisionValues(table(c.x));
  assert.ok(scaledErr(held, c.decisionTest) < 1e-4, `held-out decision values: ${scaledErr(held, c.decisionTest)}`);
  assert.ok(scaledErr(train, c.decisionTrain) < 1e-4, `training decision values: ${scaledErr(train, c.decisionTrain)}`);
  // vigil's scores are minus scikit-learn's decision_function, and threshold 'rho' flags the
  // rows scikit-learn's predict calls -1 (rows on the boundary itself aside).
  const scores = await det.scoreSamples(table(c.xTest));
  const predicted = await det.predict(table(c.xTest));
  const scale = Math.max(...c.decisionTest.map(Math.abs));
  assert.is(det.threshold, 0);
  for (let i = 0; i < c.xTest.length; i++) {
    assert.ok(Math.abs(scores[i] + c.decisionTest[i]) <= 1e-4 * scale, `score ${i}`);
    if (Math.abs(c.decisionTest[i]) > 1e-4 * scale) assert.is(predicted[i], c.predictTest[i] === -1 ? 1 : 0, `predict ${i}`);
  }
}

// Every kernel path (AVX-512, AVX2, portable) evaluates the kernel matrix in double as libsvm
// does, so each walks scikit-learn's path.
for (const level of simdPaths()) {
  for (const c of fixture.cases) {
    test(`sklearn OneClassSVM ${c.name} (${level})`, async () => {
      setSimdCap(level);
      try {
        await check(c);
      } finally {
        setSimdCap('avx512');
      }
    });
  }
}

test.run();
