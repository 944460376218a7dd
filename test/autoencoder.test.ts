// Dense autoencoder detectors and the layers they add: Sampling (reparameterised draw + KL term),
// ActivityRegularization (L1/L2 on activations), GaussianNoise. Gradients against a float64
// reference of the whole loss; detectors on real credit-card rows; save/load; bad options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomNormal } from '../ts/bindings/random.ts';
import { ActivityRegularization } from '../ts/models/layers/activity_regularization.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import type { Layer } from '../ts/models/layers/layer.ts';
import { GaussianNoise } from '../ts/models/layers/noise.ts';
import { layerFromConfig } from '../ts/models/layers/registry.ts';
import { Sampling } from '../ts/models/layers/sampling.ts';
import { Autoencoder } from '../ts/models/detectors/autoencoder.ts';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { VariationalAutoencoder } from '../ts/models/detectors/vae.ts';
import { rocAuc } from '../ts/models/metrics.ts';
import { StandardScaler } from '../ts/models/preprocessing/scalers.ts';
import { Sequential } from '../ts/models/sequential.ts';
import { loadCreditcard } from '../ts/models/tabular_datasets.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { gradRelErr, numericGrad, randomF32, rng } from './helpers/random.ts';

const CC_SAMPLE = fileURLToPath(new URL('./fixtures/creditcard_sample_small.csv', import.meta.url));

// ---- float64 reference of a small Sequential: Dense (tanh/linear), Sampling, ActivityRegularization, MSE.

type RefLayer =
  | { kind: 'dense'; units: number; inDim: number; act: 'tanh' | 'linear' }
  | { kind: 'sampling'; latent: number; klWeight: number; eps: Float64Array }
  | { kind: 'activity'; l1: number; l2: number };

/** Loss = MSE(output, y) + penalties, in float64, with the weights flattened in getWeights() order. */
function refLoss(layers: RefLayer[], w: Float64Array, x: Float64Array, N: number, D: number, y: Float64Array): number {
  let a = x, width = D, off = 0, penalty = 0;
  for (const l of layers) {
    if (l.kind === 'dense') {
      const K = w.subarray(off, off + l.units * l.inDim), b = w.subarray(off + l.units * l.inDim, off + l.units * l.inDim + l.units);
      off += l.units * l.inDim + l.units;
      const out = new Float64Array(N * l.units);
      for (let i = 0; i < N; i++) {
        for (let u = 0; u < l.units; u++) {
          let s = b[u];
          for (let k = 0; k < l.inDim; k++) s += a[i * l.inDim + k] * K[u * l.inDim + k];
          out[i * l.units + u] = l.act === 'tanh' ? Math.tanh(s) : s;
        }
      }
      a = out;
      width = l.units;
    } else if (l.kind === 'sampling') {
      const L = l.latent, out = new Float64Array(N * L);
      let kl = 0;
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < L; j++) {
          const mu = a[i * 2 * L + j], lv = a[i * 2 * L + L + j];
          out[i * L + j] = mu + Math.exp(0.5 * lv) * l.eps[i * L + j];
          kl += 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
        }
      }
      penalty += (l.klWeight * kl) / N;
      a = out;
      width = L;
    } else {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += l.l1 * Math.abs(a[i]) + l.l2 * a[i] * a[i];
      penalty += s / N;
    }
  }
  let mse = 0;
  for (let i = 0; i < N * width; i++) mse += (a[i] - y[i]) ** 2;
  return mse / (N * width) + penalty;
}

async function checkAgainstReference(label: string, layers: Layer[], ref: (eps: (idx: number, n: number) => Float64Array) => RefLayer[], N: number, D: number, seed: number) {
  const r = rng(seed);
  const m = new Sequential(layers, { seed });
  m.build([D]);
  m.compile({ loss: 'mse', optimizer: 'adam' });
  // Random weights (never zeros), set through setWeights so every layer sees them.
  m.setWeights(m.getWeights().map((w) => randomF32(r, w.length, -0.8, 0.8)));
  const x = randomF32(r, N * D, -1.5, 1.5), y = randomF32(r, N * D, -1, 1);
  const { loss, grads } = await m.lossAndGradients(tensor(x, [N, D]), tensor(y, [N, D]));
  // The noise the layer at `idx` drew: its (seed, stream) is (model seed, step 0 * 1024 + idx).
  const eps = (idx: number, n: number) => Float64Array.from(randomNormal(new Float32Array(n), seed, idx));
  const spec = ref(eps);
  const w0 = Float64Array.from(m.getWeights().flatMap((w) => Array.from(w)));
  const f = (w: Float64Array) => refLoss(spec, w, Float64Array.from(x), N, D, Float64Array.from(y));
  const want = f(w0);
  assert.ok(Math.abs(loss - want) < 1e-5 * Math.max(1, Math.abs(want)), `${label}: loss ${loss} vs float64 ${want}`);
  const g = numericGrad(f, w0);
  const got = Float64Array.from(grads.flatMap((a) => Array.from(a)));
  assert.is(got.length, g.length);
  const err = gradRelErr(got, g, 1e-4);
  assert.ok(err < 2e-3, `${label}: gradient relative error ${err}`);
}

test('Sampling: z = mu + exp(logvar/2)·eps and the KL term, loss and every gradient against a float64 reference', async () => {
  const D = 5, H = 4, L = 3, N = 7;
  await checkAgainstReference('vae', [
    new Dense(H, { activation: 'tanh' }), new Dense(2 * L), new Sampling(L, { klWeight: 0.3 }), new Dense(H, { activation: 'tanh' }), new Dense(D),
  ], (eps) => [
    { kind: 'dense', units: H, inDim: D, act: 'tanh' },
    { kind: 'dense', units: 2 * L, inDim: H, act: 'linear' },
    { kind: 'sampling', latent: L, klWeight: 0.3, eps: eps(2, N * L) },
    { kind: 'dense', units: H, inDim: L, act: 'tanh' },
    { kind: 'dense', units: D, inDim: H, act: 'linear' },
  ], N, D, 11);
});

test('ActivityRegularization: the L1 + L2 activity penalty over the batch, loss and gradients against a float64 reference', async () => {
  const D = 4, H = 3, N = 6;
  await checkAgainstReference('activity', [
    new Dense(H, { activation: 'tanh' }), new ActivityRegularization({ l1: 0.05, l2: 0.2 }), new Dense(D),
  ], () => [
    { kind: 'dense', units: H, inDim: D, act: 'tanh' },
    { kind: 'activity', l1: 0.05, l2: 0.2 },
    { kind: 'dense', units: D, inDim: H, act: 'linear' },
  ], N, D, 5);
});

test('inference: Sampling gives the mean, noise and activity layers are the identity; configs rebuild the layers', async () => {
  const r = rng(3);
  const D = 6, L = 2, N = 9;
  const m = new Sequential([new GaussianNoise(0.5), new Dense(2 * L), new Sampling(L), new ActivityRegularization({ l1: 1 })], { seed: 4 });
  m.build([D]);
  const x = randomF32(r, N * D);
  const out = await m.predict(tensor(x, [N, D]));
  const enc = m.layers[1] as Dense;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < L; j++) {
      let s = enc.bias![j];
      for (let k = 0; k < D; k++) s += x[i * D + k] * enc.kernel[j * D + k];
      assert.ok(Math.abs(out.data[i * L + j] - s) < 1e-5);
    }
  }
  assert.equal(out.shape, [N, L]);
  for (const l of [new GaussianNoise(0.25), new Sampling(3, { klWeight: 0.5 }), new ActivityRegularization({ l1: 0.1, l2: 0.01 })]) {
    const back = layerFromConfig(l.className, l.getConfig());
    assert.equal(back.getConfig(), l.getConfig());
  }
});

test('GaussianNoise adds N(0, stddev²) while training, seeded by (seed, stream)', async () => {
  const n = 20_000;
  const x = randomF32(rng(1), n);
  const g = new GaussianNoise(0.3);
  g.build([n]);
  const y1 = Float32Array.from((await g.forward({ data: x, shape: [1, n], lengths: null }, { training: true, seed: 9, stream: 2 })).data);
  const y2 = (await g.forward({ data: x, shape: [1, n], lengths: null }, { training: true, seed: 9, stream: 2 })).data;
  assert.equal(Array.from(y2), Array.from(y1));
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const d = y1[i] - x[i];
    s += d;
    s2 += d * d;
  }
  assert.ok(Math.abs(s / n) < 0.01 && Math.abs(Math.sqrt(s2 / n) - 0.3) < 0.01, `mean ${s / n}, sd ${Math.sqrt(s2 / n)}`);
  const inf = await g.forward({ data: x, shape: [1, n], lengths: null }, { training: false, seed: 9, stream: 2 });
  assert.is(inf.data, x);
});

test('bad layer options name the option', () => {
  throwsError(() => new GaussianNoise(-1), RangeError, /stddev must be a finite number >= 0/);
  throwsError(() => new GaussianNoise('1' as never), TypeError, /stddev must be a number/);
  throwsError(() => new Sampling(0), RangeError, /latent must be an integer/);
  throwsError(() => new Sampling(2, { klWeight: -1 }), RangeError, /klWeight/);
  throwsError(() => new ActivityRegularization({ l1: -0.1 }), RangeError, /l1 must be a finite number >= 0/);
  const m = new Sequential([new Dense(5), new Sampling(2)]);
  throwsError(() => m.build([3]), RangeError, /Sampling: the input must be \[batch, 4\]/);
});

// ---- the detectors on real rows

function creditcard(): { train: ReturnType<StandardScaler['transform']>; test: ReturnType<StandardScaler['transform']>; labels: Int32Array } {
  const d = loadCreditcard(CC_SAMPLE);
  const F = 29, W = d.names.length;
  const rows = (idx: number[]) => tensor(Float32Array.from(idx.flatMap((i) => Array.from(d.features.data.subarray(i * W + 1, i * W + 1 + F)))), [idx.length, F]);
  const all = Array.from(d.labels.keys());
  const legit = all.filter((i) => d.labels[i] === 0);
  const fit = legit.filter((_, k) => k % 2 === 0);
  const test = all.filter((i) => !fit.includes(i));
  const s = new StandardScaler().fit(rows(fit));
  return { train: s.transform(rows(fit)), test: s.transform(rows(test)), labels: Int32Array.from(test, (i) => d.labels[i]) };
}

test('Autoencoder variants and the VAE on real credit-card rows: frauds reconstruct worse; a seed repeats itself', async () => {
  const { train, test: t, labels } = creditcard();
  assert.ok(labels.includes(1) && labels.includes(0));
  const epochs: number[] = [];
  const variants = [
    new Autoencoder({ epochs: 15, seed: 1 }),
    new Autoencoder({ epochs: 15, hidden: [12], encoding: 6, l1: 1e-4, noise: 0.1, seed: 1 }),
    new VariationalAutoencoder({ epochs: 15, hidden: [12], latent: 2, seed: 1 }),
  ];
  for (const d of variants) {
    await d.fit(train, { onEpochEnd: (e) => epochs.push(e) });
    const s = await d.scoreSamples(t);
    assert.ok(s.every((v) => Number.isFinite(v) && v >= 0));
    const auc = rocAuc(labels, s);
    assert.ok(auc > 0.85, `${d.modelType}: ROC AUC ${auc}`);
    assert.is(d.history.length, 15);
    assert.ok(d.history[14].reconstructionError < d.history[0].reconstructionError, 'training lowers the loss');
  }
  assert.is(epochs.length, 45);
  const again = await new VariationalAutoencoder({ epochs: 15, hidden: [12], latent: 2, seed: 1 }).fit(train);
  assert.equal(Array.from(await again.scoreSamples(t)), Array.from(await variants[2].scoreSamples(t)));
  // The score is the mean squared error of reconstruct().
  const rec = await variants[0].reconstruct(t);
  const s0 = await variants[0].scoreSamples(t);
  const F = t.shape[1];
  let e = 0;
  for (let j = 0; j < F; j++) e += (t.data[j] - rec.data[j]) ** 2;
  assert.ok(Math.abs(s0[0] - e / F) < 1e-5);
});

test('save/load round trip: same config, threshold and scores; the default code width is half the features', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ae-'));
  try {
    const r = rng(8);
    const x = tensor(randomF32(r, 60 * 7), [60, 7]);
    const ae = await new Autoencoder({ epochs: 3, hidden: [5], l1: 1e-3, noise: 0.2, seed: 3, contamination: 0.05 }).fit(x);
    assert.is((ae.model!.layers.find((l) => l instanceof Dense && l.units === 4)) !== undefined, true);
    const vae = await new VariationalAutoencoder({ epochs: 3, latent: 3, klWeight: 0.5, activation: 'tanh', thresholdQuantile: 0.9 }).fit(x);
    for (const d of [ae, vae]) {
      const path = join(dir, `${d.modelType}.vigil`);
      await d.save(path);
      const back = await loadDetector<Autoencoder | VariationalAutoencoder>(path, d.modelType);
      assert.is(back.constructor, d.constructor);
      assert.equal(back.config, d.config);
      assert.equal(back.thresholdRule, d.thresholdRule);
      assert.is(back.threshold, d.threshold);
      assert.equal(back.history.map((h) => h.reconstructionError), d.history.map((h) => h.reconstructionError));
      assert.equal(Array.from(await back.scoreSamples(x)), Array.from(await d.scoreSamples(x)));
    }
    assert.is((await loadDetector<Autoencoder>(join(dir, 'Autoencoder.vigil'))).l1, 1e-3);
    assert.is((await loadDetector<VariationalAutoencoder>(join(dir, 'VariationalAutoencoder.vigil'))).klWeight, 0.5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options and bad rows are refused by name; an aborted fit rejects and leaves the detector unfitted', async () => {
  const bad: Array<[() => unknown, new (...a: never[]) => Error, RegExp]> = [
    [() => new Autoencoder({ hidden: [0] }), RangeError, /hidden\[0\] must be an integer/],
    [() => new Autoencoder({ hidden: 4 as never }), TypeError, /hidden must be an array/],
    [() => new Autoencoder({ encoding: 1.5 }), RangeError, /encoding/],
    [() => new Autoencoder({ l1: -1 }), RangeError, /l1 must be a finite number >= 0/],
    [() => new Autoencoder({ noise: Number.NaN }), RangeError, /noise/],
    [() => new Autoencoder({ activation: 'softmax' as never }), RangeError, /activation must be one of relu, tanh, sigmoid, linear/],
    [() => new Autoencoder({ learningRate: 0 }), RangeError, /learningRate/],
    [() => new Autoencoder({ epochs: 0 }), RangeError, /epochs/],
    [() => new VariationalAutoencoder({ latent: 0 }), RangeError, /latent/],
    [() => new VariationalAutoencoder({ klWeight: -2 }), RangeError, /klWeight/],
    [() => new Autoencoder({ contamination: 'auto' }), TypeError, /contamination 'auto'/],
  ];
  for (const [f, cls, re] of bad) throwsError(f, cls, re);
  const x = tensor(randomF32(rng(2), 40 * 3), [40, 3]);
  const d = new Autoencoder({ epochs: 50 });
  await rejectsError(d.fit([[1, Number.NaN, 2]]), RangeError, /is NaN: features must be finite/);
  const c = new AbortController();
  await rejectsError(d.fit(x, { signal: c.signal, onProgress: (e) => e === 2 && c.abort(new Error('enough')) }), Error, /enough/);
  assert.not.ok(d.fitted);
  await rejectsError(d.scoreSamples(x), Error, /not fitted yet/);
  await d.fit(x, { onProgress: () => undefined });
  await rejectsError(d.scoreSamples([[1, 2]]), RangeError, /fitted on 3/);
  // Unscaled features overflow float32 inside the network: the detector says so and what to do,
  // instead of a kernel's 'adamStep: v must hold finite numbers'; the fitted detector is kept.
  const huge = tensor(x.data.map((v) => v * 1e15), [40, 3]);
  await rejectsError(d.fit(huge), RangeError, /^Autoencoder\.fit: training diverged \(.*\): standardise the features/);
  assert.ok(d.fitted);
  await rejectsError(new VariationalAutoencoder({ epochs: 1 }).fit(tensor(x.data.map((v) => v * 1e6), [40, 3])), RangeError,
    /^VariationalAutoencoder\.fit: training diverged .* lower learningRate \(now 0\.001\)/);
});

test.run();
