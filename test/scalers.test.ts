// StandardScaler and MinMaxScaler against scikit-learn 1.2 (fixtures from
// test/fixtures/make_scaler_fixtures.py: random columns, constant ones, and large offsets with
// tiny spreads), hand-worked cases, round trips on random tables, JSON state and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { JSONObject } from '../ts/models/detectors/detector.ts';
import { MinMaxScaler, StandardScaler } from '../ts/models/preprocessing/index.ts';
import { tensor } from '../ts/models/tensor.ts';
import { throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

type Rows = number[][];
const fx = JSON.parse(readFileSync(new URL('./fixtures/scalers_sklearn.json', import.meta.url), 'utf8')) as {
  x: Rows;
  xTest: Rows;
  oneRow: Rows;
  standard: Array<{ name: string; withMean: boolean; withStd: boolean; mean: number[] | null; var: number[] | null; scale: number[] | null; transform: Rows; inverse: Rows }>;
  minmax: Array<{ name: string; featureRange: [number, number]; clip: boolean; dataMin: number[]; dataMax: number[]; scale: number[]; min: number[]; transform: Rows; inverse: Rows }>;
};

const flat = (rows: Rows) => rows.flat();
const data = (name: string) => (name === 'one-row' ? fx.oneRow : fx.x);

/** Largest |a - b| / max(|b|, floor): relative, floored where the reference is near 0. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-30): number {
  assert.is(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(b[i])));
  return m;
}

test('StandardScaler matches scikit-learn: statistics in float64, outputs to float32 rounding', () => {
  for (const c of fx.standard) {
    const what = `${c.name} withMean=${c.withMean} withStd=${c.withStd}`;
    const s = new StandardScaler({ withMean: c.withMean, withStd: c.withStd }).fit(data(c.name));
    for (const k of ['mean', 'var', 'scale'] as const) {
      const ref = c[k];
      if (ref === null) assert.is(s[k], null, `${what} ${k}`);
      else assert.ok(relErr(s[k]!, ref) <= 1e-12, `${what} ${k}: ${relErr(s[k]!, ref)}`);
    }
    // Float32 rounding of values up to ~1e8 (the 1e6 column scaled by 1/std of 5e-3).
    const t = s.transform(fx.xTest);
    assert.equal(t.shape, [23, 7]);
    assert.ok(relErr(t.data, flat(c.transform), 1) < 1.2e-7, `${what} transform: ${relErr(t.data, flat(c.transform), 1)}`);
    const inv = s.inverseTransform(fx.xTest);
    assert.ok(relErr(inv.data, flat(c.inverse), 1) < 1.2e-7, `${what} inverse: ${relErr(inv.data, flat(c.inverse), 1)}`);
  }
  // The two constant columns (7.25, and 0.1 which float32 cannot hold) get scale 1; the 1e6 column keeps its std.
  const s = new StandardScaler().fit(fx.x);
  assert.is(s.scale![2], 1);
  assert.is(s.scale![3], 1);
  assert.ok(s.scale![4] > 4e-3 && s.scale![4] < 7e-3, `${s.scale![4]}`);
});

test('MinMaxScaler matches scikit-learn', () => {
  for (const c of fx.minmax) {
    const what = `${c.name} ${c.featureRange} clip=${c.clip}`;
    const s = new MinMaxScaler({ featureRange: c.featureRange, clip: c.clip }).fit(data(c.name));
    assert.equal(Array.from(s.dataMin!), c.dataMin, `${what} dataMin`);
    assert.equal(Array.from(s.dataMax!), c.dataMax, `${what} dataMax`);
    assert.ok(relErr(s.scale!, c.scale) <= 1e-15, `${what} scale`);
    assert.ok(relErr(s.min!, c.min) <= 1e-12, `${what} min: ${relErr(s.min!, c.min)}`);
    const t = s.transform(fx.xTest);
    assert.ok(relErr(t.data, flat(c.transform), 1) < 1.2e-7, `${what} transform: ${relErr(t.data, flat(c.transform), 1)}`);
    const inv = s.inverseTransform(fx.xTest);
    assert.ok(relErr(inv.data, flat(c.inverse), 1) < 1.2e-7, `${what} inverse: ${relErr(inv.data, flat(c.inverse), 1)}`);
  }
});

test('hand cases: population std, constant columns, large offsets, clip', () => {
  const s = new StandardScaler().fit([[1, 10], [3, 10], [5, 10]]);
  assert.equal(Array.from(s.mean!), [3, 10]);
  assert.equal(Array.from(s.var!), [8 / 3, 0]);
  assert.equal(Array.from(s.scale!), [Math.sqrt(8 / 3), 1]);
  const z = Math.fround(2 / Math.sqrt(8 / 3));
  assert.equal(Array.from(s.transform([[1, 10], [3, 11]]).data), [-z, 0, 0, 1]);
  // Steps of 1/16 on 1e6 (float32's spacing there): a one-pass or float32 variance loses them all.
  const big = new StandardScaler().fit([[1e6], [1e6 + 0.0625], [1e6 + 0.125]]);
  assert.is(big.mean![0], 1e6 + 0.0625);
  assert.is(big.var![0], (2 * 0.0625 ** 2) / 3);
  assert.equal(Array.from(big.transform([[1e6]]).data), [Math.fround(-0.0625 / Math.sqrt((2 * 0.0625 ** 2) / 3))]);
  // scikit-learn's near-constant bound: one value a float32 step off among 10^6 is within the
  // float64 error of the variance, so the column counts as constant (values checked with sklearn 1.2).
  for (const [n, scale] of [[1000, Math.sqrt(3.90234375e-6)], [1000000, 1]]) {
    const col = new Float32Array(n).fill(1e6);
    col[n / 2] += 0.0625;
    const c = new StandardScaler().fit(tensor(col, [n, 1]));
    assert.ok(Math.abs(c.scale![0] - scale) <= 1e-12 * scale, `n=${n}: scale ${c.scale![0]}`);
  }
  const noMean = new StandardScaler({ withMean: false }).fit([[2], [4]]);
  assert.equal(Array.from(noMean.transform([[4]]).data), [4]);
  const noStd = new StandardScaler({ withStd: false }).fit([[2], [4]]);
  assert.equal(Array.from(noStd.transform([[4]]).data), [1]);
  assert.is(noStd.scale, null);

  const m = new MinMaxScaler().fit(tensor(Float32Array.from([1, 5, 3, 5]), [2, 2]));
  assert.equal(Array.from(m.fitTransform([[1, 5], [3, 5]]).data), [0, 0, 1, 0]);
  // A constant column gets scale 1 and maps its value to lo; unseen values fall outside [lo, hi].
  assert.equal(Array.from(m.transform([[5, 6]]).data), [2, 1]);
  const clipped = new MinMaxScaler({ clip: true }).fit([[1, 5], [3, 5]]);
  assert.equal(Array.from(clipped.transform([[5, 6], [-1, 4]]).data), [1, 1, 0, 0]);
  // A range below 10 float64 epsilons counts as none (scikit-learn maps 1e-20 to 1e-20, not to 1).
  const tiny = new MinMaxScaler().fit([[0], [1e-20]]);
  assert.is(tiny.scale![0], 1);
  assert.equal(Array.from(tiny.transform([[1e-20]]).data), [Math.fround(1e-20)]);
  const r = new MinMaxScaler({ featureRange: [-1, 1] }).fit([[0], [4]]);
  assert.equal(Array.from(r.transform([[0], [2], [4]]).data), [-1, 0, 1]);
  assert.equal(Array.from(r.inverseTransform([[-1], [0], [1]]).data), [0, 2, 4]);
});

test('random tables: inverse(transform(x)) = x, training columns standardised or in range', () => {
  const r = rng(7);
  for (let trial = 0; trial < 40; trial++) {
    const rows = 1 + Math.floor(r() * 40);
    const cols = 1 + Math.floor(r() * 9);
    const x = randomF32(r, rows * cols, -1, 1);
    for (let j = 0; j < cols; j++) {
      const offset = (r() - 0.5) * 10 ** Math.floor(r() * 7);
      const spread = 10 ** (Math.floor(r() * 6) - 3);
      for (let i = 0; i < rows; i++) x[i * cols + j] = offset + spread * x[i * cols + j];
    }
    const t = tensor(x, [rows, cols]);
    for (const s of [new StandardScaler(), new MinMaxScaler({ featureRange: [-2, 3] })]) {
      const z = s.fitTransform(t);
      const back = s.inverseTransform(z).data;
      for (let j = 0; j < cols; j++) {
        // z holds float32 rounding relative to the column's extent, so the error is measured against it.
        let extent = 1;
        for (let i = 0; i < rows; i++) extent = Math.max(extent, Math.abs(x[i * cols + j]));
        for (let i = 0; i < rows; i++) {
          const e = Math.abs(back[i * cols + j] - x[i * cols + j]) / extent;
          assert.ok(e < 1e-6, `trial ${trial} ${s.constructor.name} [${i}][${j}]: ${e}`);
        }
        let sum = 0;
        let sq = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < rows; i++) {
          const v = z.data[i * cols + j];
          sum += v;
          sq += v * v;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        if (s instanceof StandardScaler) {
          assert.ok(Math.abs(sum / rows) < 1e-5, `mean ${sum / rows}`);
          const constant = s.scale![j] === 1;
          if (!constant) assert.ok(Math.abs(sq / rows - 1) < 1e-5, `trial ${trial} var ${sq / rows}`);
        } else if (s.dataRange![j] > 0) {
          assert.ok(Math.abs(lo + 2) < 1e-5 && Math.abs(hi - 3) < 1e-5, `range ${lo}..${hi}`);
        }
      }
    }
  }
});

test('toJSON/fromJSON: same transform bit for bit; state is plain JSON a detector file can carry', () => {
  const r = rng(3);
  const x = tensor(randomF32(r, 60, -4, 9), [12, 5]);
  for (const s of [new StandardScaler(), new StandardScaler({ withMean: false }), new StandardScaler({ withStd: false }),
    new StandardScaler({ withMean: false, withStd: false })]) {
    s.fit(x);
    const j: JSONObject = s.toJSON();
    const back = StandardScaler.fromJSON(JSON.parse(JSON.stringify(j)));
    assert.equal(back.toJSON(), s.toJSON());
    assert.equal(back.transform(x).data, s.transform(x).data);
    assert.equal(back.inverseTransform(x).data, s.inverseTransform(x).data);
  }
  const m = new MinMaxScaler({ featureRange: [-1, 2], clip: true }).fit(x);
  const j: JSONObject = m.toJSON();
  const back = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(j)));
  assert.equal(back.transform(x).data, m.transform(x).data);
  assert.equal(back.toJSON(), m.toJSON());
});

test('corrupt JSON states are refused with the field named', () => {
  const s = new StandardScaler().fit([[1, 2], [3, 5]]).toJSON();
  const bad = (patch: object) => ({ ...s, ...patch });
  throwsError(() => StandardScaler.fromJSON(null), TypeError, /expected an object/);
  throwsError(() => StandardScaler.fromJSON(bad({ type: 'MinMaxScaler' })), TypeError, /type must be "StandardScaler"/);
  throwsError(() => StandardScaler.fromJSON(bad({ version: 9 })), RangeError, /version 9 is newer/);
  throwsError(() => StandardScaler.fromJSON(bad({ mean: [1] })), TypeError, /mean must be an array of 2 numbers, got 1 values/);
  throwsError(() => StandardScaler.fromJSON(bad({ scale: [1, 0] })), TypeError, /scale\[1\] must be a positive number, got 0/);
  throwsError(() => StandardScaler.fromJSON(bad({ var: [1, '2'] })), TypeError, /var\[1\] must be a finite number/);
  throwsError(() => StandardScaler.fromJSON(bad({ nFeatures: 0 })), TypeError, /bad nFeatures/);
  throwsError(() => StandardScaler.fromJSON(bad({ config: { withMean: 1, withStd: true } })), TypeError, /bad config: .*withMean must be a boolean/);
  throwsError(() => StandardScaler.fromJSON(bad({ config: { withMean: true, withStd: false } })), TypeError, /var and scale must be null/);
  const m = new MinMaxScaler().fit([[1], [3]]).toJSON();
  throwsError(() => MinMaxScaler.fromJSON({ ...m, dataMin: [4] }), TypeError, /dataMin\[0\] 4 exceeds dataMax\[0\] 3/);
  throwsError(() => MinMaxScaler.fromJSON({ ...m, config: { featureRange: [1, 0], clip: false } }), TypeError, /bad config: .*lo < hi/);
  throwsError(() => MinMaxScaler.fromJSON({ ...m, dataMax: 'x' }), TypeError, /dataMax must be an array of 1 numbers/);
});

test('bad input: widths, unfitted, non-finite values, options', () => {
  const s = new StandardScaler();
  throwsError(() => s.transform([[1]]), Error, /StandardScaler.transform: not fitted yet/);
  throwsError(() => s.toJSON(), Error, /not fitted yet/);
  throwsError(() => new MinMaxScaler().inverseTransform([[1]]), Error, /MinMaxScaler.inverseTransform: not fitted yet/);
  s.fit([[1, 2], [3, 4]]);
  throwsError(() => s.transform([[1, 2, 3]]), RangeError, /StandardScaler.transform: x has 3 features per row, the scaler was fitted on 2/);
  throwsError(() => s.inverseTransform(tensor(new Float32Array(3), [3, 1])), RangeError, /inverseTransform: x has 1 features per row, the scaler was fitted on 2/);
  throwsError(() => new MinMaxScaler().fit([[1, 2]]).transform([[1]]), RangeError, /MinMaxScaler.transform: x has 1 features/);
  throwsError(() => s.fit([[1, NaN]]), RangeError, /x\[0\]\[1\] is NaN/);
  throwsError(() => s.transform([[1, 2], [Infinity, 0]]), RangeError, /x\[1\]\[0\] is Infinity/);
  throwsError(() => s.fit([[1, 2], [3]]), RangeError, /x\[1\] has 1 values, row 0 has 2/);
  throwsError(() => s.fit([]), RangeError, /x has no rows/);
  throwsError(() => s.fit('x' as never), TypeError, /x must be/);
  throwsError(() => new StandardScaler({ withMean: 'yes' as never }), TypeError, /withMean must be a boolean/);
  throwsError(() => new StandardScaler(null as never), TypeError, /options must be an object/);
  throwsError(() => new MinMaxScaler({ featureRange: [1, 1] }), RangeError, /lo < hi, got \[1, 1\]/);
  throwsError(() => new MinMaxScaler({ featureRange: [0, Infinity] }), RangeError, /finite/);
  throwsError(() => new MinMaxScaler({ featureRange: [0] as never }), TypeError, /featureRange must be \[lo, hi\]/);
  throwsError(() => new MinMaxScaler({ clip: 1 as never }), TypeError, /clip must be a boolean/);
});

test.run();
