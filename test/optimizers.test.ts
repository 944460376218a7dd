import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Adam, SGD, getOptimizer } from '../ts/models/optimizers.ts';
import { randomF32, rng } from './helpers/random.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';

// With SGD at learning rate 1 and no momentum, the step is exactly p - clip(g): the change of p
// is the clipped gradient.
async function clippedBy(opts: object, grads: Float32Array[]): Promise<Float64Array[]> {
  const params = grads.map((g) => new Float32Array(g.length));
  const before = grads.map((g) => g.slice());
  await new SGD({ learningRate: 1, ...opts }).apply(params, grads);
  grads.forEach((g, i) => assert.equal(g, before[i], 'the caller\'s gradients are left unchanged'));
  return params.map((p) => Float64Array.from(p, (v) => -v));
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) =>
  assert.ok(Array.from(a).every((v, i) => Math.abs(v - b[i]) <= tol * Math.max(1, Math.abs(b[i]))), `${Array.from(a).slice(0, 4)} vs ${Array.from(b).slice(0, 4)}`);

test('clipnorm scales each gradient to an L2 norm of at most clipnorm (Keras clip_by_norm)', async () => {
  const r = rng(1);
  const big = randomF32(r, 37, -3, 3), small = randomF32(r, 5, -0.01, 0.01);
  const [a, b] = await clippedBy({ clipnorm: 1.5 }, [big, small]);
  close(a, Array.from(big, (v) => (v * 1.5) / norm(big)));
  assert.ok(Math.abs(norm(a) - 1.5) < 1e-5);
  close(b, small); // under the limit: untouched
});

test('globalClipnorm scales all gradients by one factor to a joint norm of at most globalClipnorm', async () => {
  const r = rng(2);
  const g = [randomF32(r, 13, -2, 2), randomF32(r, 29, -0.5, 0.5), randomF32(r, 3)];
  const total = Math.sqrt(g.reduce((s, x) => s + norm(x) ** 2, 0));
  const out = await clippedBy({ globalClipnorm: 2 }, g);
  out.forEach((o, i) => close(o, Array.from(g[i], (v) => (v * 2) / total)));
  assert.ok(Math.abs(Math.sqrt(out.reduce((s, x) => s + norm(x) ** 2, 0)) - 2) < 1e-5);
  const under = await clippedBy({ globalClipnorm: total * 1.01 }, g);
  under.forEach((o, i) => close(o, g[i]));
});

test('clipvalue clamps each element', async () => {
  const g = Float32Array.of(-3, -0.2, 0, 0.7, 5);
  const [o] = await clippedBy({ clipvalue: 0.5 }, [g]);
  assert.equal(Array.from(o), [-0.5, -0.2, 0, 0.5, 0.5].map((v) => Math.fround(v)));
});

test('clipping never hides a NaN gradient (or an infinite one under a norm): the step still refuses it', async () => {
  // clipvalue clamps an infinity to the bound, as Keras' clip does.
  const [c] = await clippedBy({ clipvalue: 0.5 }, [Float32Array.of(-Infinity, Infinity)]);
  assert.equal(Array.from(c), [-0.5, 0.5]);
  for (const opts of [{ clipvalue: 1 }, { clipnorm: 1 }, { globalClipnorm: 1 }]) {
    for (const bad of 'clipvalue' in opts ? [NaN] : [NaN, Infinity]) {
      const p = Float32Array.of(1, 2);
      await rejectsError(new SGD({ learningRate: 1, ...opts }).apply([p], [Float32Array.of(0.5, bad)]), RangeError, /finite/);
      assert.equal(Array.from(p), [1, 2]);
    }
  }
});

test('clipping is deterministic and composes with Adam: same inputs, same bits', async () => {
  const r = rng(3);
  const p0 = randomF32(r, 301), g = randomF32(r, 301, -40, 40);
  const run = async () => {
    const p = p0.slice();
    const a = new Adam({ learningRate: 1e-2, globalClipnorm: 1 });
    for (let i = 0; i < 3; i++) await a.apply([p], [g]);
    return p;
  };
  assert.equal(await run(), await run());
  // Adam is scale-invariant in the gradient except through epsilon: clipping a constant
  // gradient by a fixed factor changes the step only slightly; but it must not be a no-op for SGD.
  const [s] = await clippedBy({ globalClipnorm: 1 }, [g]);
  assert.ok(Math.abs(norm(s) - 1) < 1e-5);
});

test('options: names as Keras, in the config (and so in saved models) only when set; one at a time', () => {
  const o = getOptimizer({ name: 'adam', learningRate: 2e-3, globalClipnorm: 1 }) as Adam;
  assert.is(o.config.globalClipnorm, 1);
  assert.not.ok('clipnorm' in o.config);
  assert.not.ok('clipvalue' in (getOptimizer('rmsprop') as Adam).config);
  assert.is((getOptimizer({ name: 'nadam', clipnorm: null as never }) as Adam).config.clipnorm, undefined);
  throwsError(() => new Adam({ clipnorm: 1, globalClipnorm: 1 }), RangeError, /only one of/);
  throwsError(() => new SGD({ clipvalue: 1, clipnorm: 2 }), RangeError, /only one of/);
  throwsError(() => new Adam({ clipnorm: 0 }), RangeError, /clipnorm/);
  throwsError(() => new Adam({ globalClipnorm: -1 }), RangeError, /globalClipnorm/);
  throwsError(() => new Adam({ clipvalue: Infinity }), RangeError, /clipvalue/);
  throwsError(() => new Adam({ clipvalue: NaN }), RangeError, /clipvalue/);
  throwsError(() => new Adam({ clipnorm: '1' as never }), TypeError, /clipnorm/);
});

test('apply checks that every parameter has a gradient', async () => {
  const a = new Adam({ clipnorm: 1 });
  try {
    await a.apply([new Float32Array(2)], []);
    assert.unreachable('expected a RangeError');
  } catch (err) {
    assert.ok(err instanceof RangeError, String(err));
  }
});

test.run();
