import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsError } from './helpers/errors.ts';
import {
  ADAM_DEFAULTS, NADAM_DEFAULTS, RMSPROP_DEFAULTS, SGD_DEFAULTS, adamState, adamStep, adamStepAsync, nadamState, nadamStep,
  nadamStepAsync, rmspropState, rmspropStep, rmspropStepAsync, sgdState, sgdStep, sgdStepAsync,
} from '../ts/bindings/optimizer.ts';
import { getNumThreads, setNumThreads } from '../ts/bindings/backend.ts';
import { detached, gradRelErr, maxRelErr, randomF32, rng } from './helpers/random.ts';
import { adamRef, nadamRef, rmspropRef, sgdRef } from './reference/optimizer.ts';

const F64 = (a: Float32Array | null) => (a ? Float64Array.from(a) : null);
const steps = 6;

// Runs `steps` updates natively and in float64 and compares parameters, their change and states.
function compare(name: string, n: number, seed: number, native: (t: number, p: Float32Array, g: Float32Array) => Float32Array[],
  ref: (t: number, p: Float64Array, g: Float32Array) => Float64Array[]) {
  const r = rng(seed);
  const p = randomF32(r, n);
  const p0 = Float64Array.from(p);
  const pr = Float64Array.from(p);
  let states: Float32Array[] = [];
  let refStates: Float64Array[] = [];
  for (let t = 1; t <= steps; t++) {
    const g = randomF32(r, n, -2, 2);
    states = native(t, p, g);
    refStates = ref(t, pr, g);
  }
  assert.ok(maxRelErr(p, pr) < 2e-6, `${name}: param ${maxRelErr(p, pr)}`);
  const d = p.map((v, i) => v - p0[i]);
  const dr = pr.map((v, i) => v - p0[i]);
  assert.ok(gradRelErr(d, dr, 1e-4) < 1e-3, `${name}: update ${gradRelErr(d, dr, 1e-4)}`);
  for (let k = 0; k < states.length; k++) assert.ok(maxRelErr(states[k], refStates[k]) < 1e-5, `${name}: state ${k}`);
}

test('defaults are Keras defaults', () => {
  assert.equal({ ...SGD_DEFAULTS }, { learningRate: 0.01, momentum: 0, nesterov: false });
  assert.equal({ ...ADAM_DEFAULTS }, { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
  assert.equal({ ...RMSPROP_DEFAULTS }, { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  assert.equal({ ...NADAM_DEFAULTS }, { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
});

test('SGD (plain, momentum, nesterov) matches the float64 Keras rule', () => {
  for (const opts of [{}, { momentum: 0.9 }, { momentum: 0.5, nesterov: true, learningRate: 0.1 }]) {
    const n = 37;
    const st = sgdState(n, opts);
    const v = new Float64Array(n);
    const o = { ...SGD_DEFAULTS, ...opts };
    compare(`sgd ${JSON.stringify(opts)}`, n, 51, (t, p, g) => {
      sgdStep(p, g, st, opts);
      return st.velocity ? [st.velocity] : [];
    }, (t, p, g) => {
      sgdRef(o.learningRate, o.momentum, o.nesterov, p, g, v);
      return o.momentum ? [v] : [];
    });
  }
});

test('Adam (and AMSGrad) matches the float64 Keras rule', () => {
  for (const opts of [{}, { learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 }, { amsgrad: true, learningRate: 0.01 }]) {
    const n = 1;
    for (const size of [n, 29]) {
      const st = adamState(size, opts);
      const o = { ...ADAM_DEFAULTS, ...opts };
      const m = new Float64Array(size), v = new Float64Array(size), vh = o.amsgrad ? new Float64Array(size) : null;
      compare(`adam ${JSON.stringify(opts)}`, size, 52, (t, p, g) => {
        adamStep(t, p, g, st, opts);
        return [st.m, st.v];
      }, (t, p, g) => {
        adamRef(t, o.learningRate, o.beta1, o.beta2, o.epsilon, p, g, m, v, vh);
        return [m, v];
      });
    }
  }
});

test('RMSprop (plain, momentum, centered) matches the float64 Keras rule', () => {
  for (const opts of [{}, { momentum: 0.9, learningRate: 0.01 }, { centered: true, rho: 0.8 }, { centered: true, momentum: 0.5 }]) {
    const n = 23;
    const st = rmspropState(n, opts);
    const o = { ...RMSPROP_DEFAULTS, ...opts };
    const v = new Float64Array(n), mom = o.momentum ? new Float64Array(n) : null, avg = o.centered ? new Float64Array(n) : null;
    compare(`rmsprop ${JSON.stringify(opts)}`, n, 53, (t, p, g) => {
      rmspropStep(p, g, st, opts);
      return [st.v];
    }, (t, p, g) => {
      rmspropRef(o.learningRate, o.rho, o.momentum, o.epsilon, p, g, v, mom, avg);
      return [v];
    });
  }
  // Keras docstring example: RMSprop(learning_rate=0.1), var = 10, gradient = var -> 9.683772.
  const p = new Float32Array([10]);
  rmspropStep(p, new Float32Array([10]), rmspropState(1), { learningRate: 0.1 });
  assert.ok(Math.abs(p[0] - 9.683772) < 1e-5);
});

test('Nadam matches the float64 Keras rule (momentum-cache schedule)', () => {
  for (const opts of [{}, { learningRate: 0.02, beta1: 0.95 }]) {
    const n = 31;
    const st = nadamState(n);
    const o = { ...NADAM_DEFAULTS, ...opts };
    const m = new Float64Array(n), v = new Float64Array(n), cache = { uProduct: 1 };
    compare(`nadam ${JSON.stringify(opts)}`, n, 54, (t, p, g) => {
      nadamStep(t, p, g, st, opts);
      return [st.m, st.v];
    }, (t, p, g) => {
      nadamRef(t, o.learningRate, o.beta1, o.beta2, o.epsilon, p, g, m, v, cache);
      return [m, v];
    });
  }
  // Keras docstring example: Nadam(learning_rate=0.2), var = 10, gradient = var -> 9.8 after one step.
  const p = new Float32Array([10]);
  nadamStep(1, p, new Float32Array([10]), nadamState(1), { learningRate: 0.2 });
  assert.is(p[0].toFixed(1), '9.8');
  // A late step stays finite and matches the reference's running product.
  const q = new Float32Array([1]);
  const s = nadamState(1);
  const m = new Float64Array(1), v = new Float64Array(1), cache = { uProduct: 1 }, qr = new Float64Array([1]);
  for (let t = 1; t <= 1500; t++) {
    nadamStep(t, q, new Float32Array([0.5]), s);
    nadamRef(t, 0.001, 0.9, 0.999, 1e-7, qr, [0.5], m, v, cache);
  }
  assert.ok(Math.abs(q[0] - qr[0]) < 1e-4, `${q[0]} vs ${qr[0]}`);
});

test('bit-identical for 1, 2 and 3 threads', () => {
  const n = 100_003;
  const r = rng(55);
  const p0 = randomF32(r, n), g = randomF32(r, n);
  const before = getNumThreads();
  const runs: Float32Array[][] = [];
  for (const th of [1, 2, 3]) {
    setNumThreads(th);
    const out: Float32Array[] = [];
    const p1 = p0.slice(), p2 = p0.slice(), p3 = p0.slice(), p4 = p0.slice();
    sgdStep(p1, g, sgdState(n, { momentum: 0.9 }), { momentum: 0.9 });
    adamStep(3, p2, g, adamState(n));
    rmspropStep(p3, g, rmspropState(n, { centered: true, momentum: 0.3 }), { centered: true, momentum: 0.3 });
    nadamStep(2, p4, g, nadamState(n));
    out.push(p1, p2, p3, p4);
    runs.push(out);
  }
  setNumThreads(before);
  assert.equal(runs[1], runs[0]);
  assert.equal(runs[2], runs[0]);
});

test('async forms give the same results', async () => {
  const r = rng(56);
  const n = 40;
  const p = randomF32(r, n), g = randomF32(r, n);
  const pairs: Array<[(p: Float32Array) => void, (p: Float32Array) => Promise<void>]> = [
    [(q) => sgdStep(q, g, sgdState(n)), (q) => sgdStepAsync(q, g, sgdState(n))],
    [(q) => adamStep(1, q, g, adamState(n)), (q) => adamStepAsync(1, q, g, adamState(n))],
    [(q) => rmspropStep(q, g, rmspropState(n)), (q) => rmspropStepAsync(q, g, rmspropState(n))],
    [(q) => nadamStep(1, q, g, nadamState(n)), (q) => nadamStepAsync(1, q, g, nadamState(n))],
  ];
  for (const [s, a] of pairs) {
    const p1 = p.slice(), p2 = p.slice();
    s(p1);
    await a(p2);
    assert.equal(p2, p1);
  }
});

test('bad arguments throw TypeError/RangeError', async () => {
  const n = 4;
  const p = new Float32Array(n).fill(1), g = new Float32Array(n).fill(0.5);
  const bad = <T>(f: () => T, cls: typeof TypeError | typeof RangeError) => throwsError(f, cls);
  bad(() => sgdStep(p, g, sgdState(n), { learningRate: 0 }), RangeError);
  bad(() => sgdStep(p, g, sgdState(n), { learningRate: -1 }), RangeError);
  bad(() => sgdStep(p, g, sgdState(n), { learningRate: Number.NaN }), RangeError);
  bad(() => sgdStep(p, g, sgdState(n), { momentum: 1.5 }), RangeError);
  bad(() => sgdStep(p, g, { velocity: null }, { momentum: 0.9 }), TypeError);
  bad(() => sgdStep(p, g, { velocity: new Float32Array(3) }, { momentum: 0.9 }), RangeError);
  bad(() => sgdStep(p, g, sgdState(n), { nesterov: 1 as unknown as boolean }), TypeError);
  bad(() => sgdStep(p, new Float32Array(n + 1), sgdState(n)), RangeError);
  bad(() => sgdStep(p, Float32Array.of(1, Number.NaN, 1, 1), sgdState(n)), RangeError);
  bad(() => sgdStep(p, new Float64Array(n) as unknown as Float32Array, sgdState(n)), TypeError);
  bad(() => sgdStep([1, 2] as unknown as Float32Array, g, sgdState(n)), TypeError);
  bad(() => sgdStep(new Float32Array(0), new Float32Array(0), sgdState(0)), RangeError);
  bad(() => sgdStep(detached(n), g, sgdState(n)), TypeError);
  bad(() => sgdStep(p, detached(n), sgdState(n)), TypeError);
  bad(() => adamStep(0, p, g, adamState(n)), RangeError);
  bad(() => adamStep(1.5, p, g, adamState(n)), RangeError);
  bad(() => adamStep(Number.NaN, p, g, adamState(n)), RangeError);
  bad(() => adamStep('1' as unknown as number, p, g, adamState(n)), TypeError);
  bad(() => adamStep(1, p, g, adamState(n), { beta1: 1 }), RangeError);
  bad(() => adamStep(1, p, g, adamState(n), { beta2: -0.1 }), RangeError);
  bad(() => adamStep(1, p, g, adamState(n), { epsilon: 0 }), RangeError);
  bad(() => adamStep(1, p, g, adamState(n), { amsgrad: true }), TypeError);
  bad(() => adamStep(1, p, g, { m: new Float32Array(n), v: detached(n), vHat: null }), TypeError);
  bad(() => adamStep(1, p, g, { m: new Float32Array(n - 1), v: new Float32Array(n), vHat: null }), RangeError);
  bad(() => rmspropStep(p, g, rmspropState(n), { rho: 1 }), RangeError);
  bad(() => rmspropStep(p, g, rmspropState(n), { centered: true }), TypeError);
  bad(() => rmspropStep(p, g, rmspropState(n), { momentum: 0.5 }), TypeError);
  bad(() => rmspropStep(p, g, rmspropState(n), { momentum: -0.5 }), RangeError);
  bad(() => rmspropStep(p, g, { v: new Float32Array(n + 2), momentum: null, averageGrad: null }), RangeError);
  bad(() => nadamStep(0, p, g, nadamState(n)), RangeError);
  bad(() => nadamStep(1, p, g, nadamState(n), { learningRate: Infinity }), RangeError);
  bad(() => nadamStep(1, p, g, { m: new Float32Array(n), v: Float32Array.of(0, 0, Number.NaN, 0) }), RangeError);
  let caught: unknown;
  await adamStepAsync(0, p, g, adamState(n)).catch((e) => (caught = e));
  assert.instance(caught, RangeError);
  assert.equal(p, new Float32Array(n).fill(1)); // nothing ran
});

test.run();
