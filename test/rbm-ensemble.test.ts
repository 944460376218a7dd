// RbmEnsemble (ts/models/detectors/rbm_ensemble.ts): its members are the RBMs of seeds seed·k + i,
// its score the mean of theirs (checked against float64 references of both scorings), its
// threshold from those means; saves and loads; counts epochs over all members; checks options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { RBM } from '../ts/models/detectors/rbm.ts';
import type { RBMOptions } from '../ts/models/detectors/rbm.ts';
import { RbmEnsemble } from '../ts/models/detectors/rbm_ensemble.ts';
import { quantile } from '../ts/models/detectors/threshold.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { freeEnergyRef, reconstructionErrorRef } from './reference/rbm.ts';
import { maxRelErr, randomF32, rng } from './helpers/random.ts';

const V = 5;
const small: RBMOptions = { hiddenUnits: 4, epochs: 6, batchSize: 16, learningRate: 0.02, momentum: 0.5 };

function rows(seed: number, n: number, bernoulli = false) {
  const x = randomF32(rng(seed), n * V, -1.5, 1.5);
  if (bernoulli) for (let i = 0; i < x.length; i++) x[i] = x[i] > 0 ? 1 : 0;
  return tensor(x, [n, V]);
}

/** One RBM's score of every row of `x`, in float64. */
function scoreRef(rbm: RBM, x: Float32Array, n: number): Float64Array {
  const { H, W, b, c } = rbm.weights!;
  return (rbm.scoring === 'freeEnergy' ? freeEnergyRef : reconstructionErrorRef)(rbm.visible, n, V, H, x, W, b, c);
}

test('members are the RBMs of seeds seed·k + i; the score is the mean of theirs (float64 reference); the threshold comes from the mean training scores', async () => {
  for (const [visible, scoring] of [['gaussian', 'reconstruction'], ['gaussian', 'freeEnergy'], ['bernoulli', 'reconstruction']] as const) {
    const bern = visible === 'bernoulli';
    const train = rows(1, 120, bern);
    const held = rows(2, 40, bern);
    const ens = await new RbmEnsemble({ ...small, visible, scoring, members: 3, seed: 4, thresholdQuantile: 0.9 }).fit(train);
    assert.is(ens.rbms.length, 3);
    assert.equal(ens.rbms.map((r) => r.seed), [12, 13, 14]);
    const alone = await new RBM({ ...small, visible, scoring, seed: 13 }).fit(train);
    assert.equal(ens.rbms[1].weights!.W, alone.weights!.W, `${visible} ${scoring}: member 1 is RBM seed 13`);
    const want = new Float64Array(40);
    for (const r of ens.rbms) scoreRef(r, held.data, 40).forEach((v, i) => (want[i] += v / 3));
    const s = await ens.scoreSamples(held);
    assert.ok(maxRelErr(s, want) < 1e-4, `${visible} ${scoring}: ${maxRelErr(s, want)}`);
    // A member alone ranks the rows differently: the mean is not one member's score.
    assert.not.equal(Array.from(s), Array.from(await ens.rbms[0].scoreSamples(held)));
    const trainRef = new Float64Array(120);
    for (const r of ens.rbms) scoreRef(r, train.data, 120).forEach((v, i) => (trainRef[i] += v / 3));
    assert.ok(Math.abs(ens.threshold - quantile(trainRef, 0.9)) <= 1e-4 * Math.max(1, Math.abs(ens.threshold)), `${visible} ${scoring}: threshold`);
    assert.equal(await ens.predict(held), Uint8Array.from(s, (v) => (v > ens.threshold ? 1 : 0)));
  }
});

test('one member is exactly the RBM of the same seed', async () => {
  const train = rows(3, 80);
  const ens = await new RbmEnsemble({ ...small, scoring: 'reconstruction', members: 1, seed: 7, contamination: 0.2 }).fit(train);
  const rbm = await new RBM({ ...small, scoring: 'reconstruction', seed: 7, contamination: 0.2 }).fit(train);
  assert.equal(await ens.scoreSamples(train), await rbm.scoreSamples(train));
  assert.is(ens.threshold, rbm.threshold);
  assert.is(ens.nFeatures, V);
});

test('fit counts epochs over all members, stops on a signal; save/load gives the same scores, threshold and members', async () => {
  const train = rows(5, 60);
  const seen: Array<[number, number]> = [];
  const epochs: number[] = [];
  const ens = await new RbmEnsemble({ ...small, epochs: 2, members: 3, seed: 1, scoring: 'reconstruction', thresholdQuantile: 0.95 }).fit(train, {
    onProgress: (d, t) => seen.push([d, t]),
    onEpochEnd: (e) => epochs.push(e),
  });
  assert.equal(seen, [[1, 6], [2, 6], [3, 6], [4, 6], [5, 6], [6, 6]]);
  assert.equal(epochs, [0, 1, 2, 3, 4, 5]);
  const ctl = new AbortController();
  const fresh = new RbmEnsemble({ ...small, epochs: 50, members: 3 });
  await rejectsError(fresh.fit(train, { signal: ctl.signal, onEpochEnd: (e) => e === 55 && ctl.abort(new Error('enough')) }), Error, /enough/);
  assert.not.ok(fresh.fitted);
  await rejectsError(ens.fit(train, { onEpochEnd: 3 as never }), TypeError, /RbmEnsemble.fit: onEpochEnd must be a function/);

  const dir = mkdtempSync(join(tmpdir(), 'vigil-rbm-ensemble-'));
  try {
    const path = join(dir, 'ens.vigil');
    await ens.save(path);
    const back = await loadDetector<RbmEnsemble>(path, 'RbmEnsemble');
    assert.ok(back instanceof RbmEnsemble);
    const x = rows(6, 30);
    assert.equal(await back.scoreSamples(x), await ens.scoreSamples(x));
    assert.is(back.threshold, ens.threshold);
    assert.equal(back.thresholdRule, { kind: 'quantile', value: 0.95 });
    assert.equal([back.members, back.seed, back.scoring], [3, 1, 'reconstruction']);
    assert.equal(back.memberOptions, ens.memberOptions);
    assert.equal(back.rbms.map((r) => [r.seed, r.threshold, r.history.length]), ens.rbms.map((r) => [r.seed, r.threshold, 2]));
    await rejectsError(loadDetector(path, 'RBM'), Error, /'RbmEnsemble' model file, not a RBM/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options and input are refused with the ensemble\'s name', async () => {
  throwsError(() => new RbmEnsemble({ members: 0 }), RangeError, /RbmEnsemble: members must be an integer in \[1, 1000\], got 0/);
  throwsError(() => new RbmEnsemble({ members: 2.5 }), RangeError, /members must be an integer/);
  throwsError(() => new RbmEnsemble({ members: '3' as never }), TypeError, /RbmEnsemble: members must be a number, got string/);
  throwsError(() => new RbmEnsemble({ seed: -1 }), RangeError, /RbmEnsemble: seed must be an integer in \[0, /);
  throwsError(() => new RbmEnsemble({ members: 5, seed: Math.floor(Number.MAX_SAFE_INTEGER / 5) + 1 }), RangeError, /member seeds seed·members \+ i must be safe integers/);
  throwsError(() => new RbmEnsemble({ hiddenUnits: 0 }), RangeError, /^RbmEnsemble: hiddenUnits must be an integer/);
  throwsError(() => new RbmEnsemble({ scoring: 'energy' as never }), RangeError, /^RbmEnsemble: scoring must be/);
  throwsError(() => new RbmEnsemble({ hidden: 4 } as never), TypeError, /^RbmEnsemble: unknown option 'hidden' \(options: members, /);
  throwsError(() => new RbmEnsemble({ contamination: 'auto' }), TypeError, /RbmEnsemble: contamination 'auto'/);
  throwsError(() => new RbmEnsemble({ device: 'tpu' as never }), Error, /device/);
  throwsError(() => new RbmEnsemble(null as never), TypeError, /options must be an object/);
  const d = new RbmEnsemble();
  assert.equal([d.members, d.seed, d.scoring], [5, 0, 'freeEnergy']);
  assert.equal(d.thresholdRule, { kind: 'contamination', value: 0.1 });
  const ens = new RbmEnsemble({ ...small, members: 2 });
  await rejectsError(ens.scoreSamples([[1, 2]]), Error, /RbmEnsemble.scoreSamples: not fitted yet/);
  throwsError(() => ens.nFeatures, Error, /not fitted yet/);
  await rejectsError(ens.fit([[1, Number.NaN]]), RangeError, /RbmEnsemble.fit: x\[0\]\[1\] is NaN/);
  await rejectsError(new RbmEnsemble({ ...small, visible: 'bernoulli' }).fit([[0, 2]]), RangeError, /Bernoulli visible units/);
  await ens.fit(rows(7, 40));
  await rejectsError(ens.scoreSamples([[1, 2]]), RangeError, /RbmEnsemble.scoreSamples: x has 2 features per row, the detector was fitted on 5/);
});

test.run();
