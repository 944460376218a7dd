// Suite `rbm`: one CD-1 training epoch of a Bernoulli RBM with 64 hidden units on 100,000 rows of 64
// binary features, at scikit-learn's default batch size (10) and at 128. Metric `epoch`, in ms.
// vigil: one epoch as RBM.fit runs it (rbmTrainEpochAsync over a shuffled row order: gather, Gibbs
// step, samples, updates); vigil-fit: a whole RBM.fit with epochs 1, which adds the one-off work
// (input checks, initialisation, shuffle, and the free energy of every training row for the
// threshold). Peer: scikit-learn's BernoulliRBM.fit with n_iter 1 (persistent CD-1, its only
// method; one-off work under a millisecond), in a child process on the same float32 rows.
import { randomNormal, randomUniform } from '../../ts/bindings/random.ts';
import { rbmTrainEpochAsync } from '../../ts/bindings/rbm.ts';
import { permutation } from '../../ts/models/preprocessing/split.ts';
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { RBM } from '../../ts/models/detectors/rbm.ts';
import { tensor } from '../../ts/models/tensor.ts';
import { scratch } from '../data.ts';
import { measure, note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { runPeer } from '../python.ts';

export const ROWS = 100_000;
export const FEATURES = 64;
export const HIDDEN = 64;
export const BATCHES = [10, 128];
/** scikit-learn's default learning rate; no momentum or weight decay (BernoulliRBM has neither). */
const LEARNING_RATE = 0.1;

export const rbmCase = (batch: number) => `${ROWS}x${FEATURES} h${HIDDEN} CD-1 b${batch}`;

/**
 * Binary rows with structure to learn: each row is one of 16 random prototypes with 10% of its bits
 * flipped (vigil's Philox generator; the prototype of row r is r mod 16).
 */
export function rbmData(seed = 777): Float32Array {
  const protos = randomUniform(new Float32Array(16 * FEATURES), seed, 1);
  const u = randomUniform(new Float32Array(ROWS * FEATURES), seed, 2);
  return u.map((v, k) => {
    const bit = protos[((Math.floor(k / FEATURES) % 16) * FEATURES) + (k % FEATURES)] < 0.5 ? 1 : 0;
    return v < 0.1 ? 1 - bit : bit;
  });
}

const options = (batchSize: number) => ({
  visible: 'bernoulli' as const, hiddenUnits: HIDDEN, gibbsSteps: 1, learningRate: LEARNING_RATE, momentum: 0, weightDecay: 0, batchSize, epochs: 1,
});

/**
 * A fast epoch that learns nothing would win: one epoch must raise the pseudo-likelihood of the
 * rows it saw (scikit-learn's score_samples: log sigmoid(F(v with one bit flipped) - F(v)), which
 * unlike the free energy alone does not depend on the model's normaliser).
 */
async function spotCheck(x: Float32Array, batchSize: number): Promise<string | null> {
  const n = 20_000;
  const xt = tensor(x.subarray(0, n * FEATURES), [n, FEATURES]);
  const flipped = x.slice(0, n * FEATURES);
  for (let r = 0; r < n; r++) flipped[r * FEATURES + ((r * 7) % FEATURES)] = 1 - flipped[r * FEATURES + ((r * 7) % FEATURES)];
  const ft = tensor(flipped, [n, FEATURES]);
  const pseudoLikelihood = async (r: RBM) => {
    const [f, g] = [await r.scoreSamples(xt), await r.scoreSamples(ft)];
    let s = 0;
    for (let i = 0; i < n; i++) s -= Math.log1p(Math.exp(f[i] - g[i]));
    return (FEATURES * s) / n;
  };
  const before = await pseudoLikelihood(await new RBM({ ...options(batchSize), learningRate: 1e-9 }).fit(xt));
  const after = await pseudoLikelihood(await new RBM(options(batchSize)).fit(xt));
  return after > before + 1 ? null : `pseudo-likelihood ${before.toFixed(2)} before, ${after.toFixed(2)} after one epoch`;
}

async function vigilRows(opts: SuiteOptions, x: Float32Array): Promise<Row[]> {
  const rows: Row[] = [];
  const xt = tensor(x, [ROWS, FEATURES]);
  const order = permutation(ROWS, 0, 1);
  const stats = new Float32Array(1);
  for (const batch of BATCHES) {
    const bad = await spotCheck(x, batch);
    if (bad) {
      note(`vigil rbm b${batch} does not learn (${bad}); not timed`);
      continue;
    }
    const o = { ...options(batch), persistent: false, seed: 0 };
    for (const threads of opts.threads) {
      setNumThreads(threads);
      const model = { V: FEATURES, H: HIDDEN, W: randomNormal(new Float32Array(HIDDEN * FEATURES), 0, 0, 0, 0.01), b: new Float32Array(FEATURES), c: new Float32Array(HIDDEN) };
      const vel = { W: new Float32Array(HIDDEN * FEATURES), b: new Float32Array(FEATURES), c: new Float32Array(HIDDEN) };
      let epoch = 0;
      const t = await measure(() => rbmTrainEpochAsync({ ...o, epoch: epoch++ }, ROWS, model, x, order, vel, null, stats), opts.repeats);
      const f = await measure(() => new RBM(options(batch)).fit(xt), opts.repeats);
      for (const [impl, m] of [['vigil', t], ['vigil-fit', f]] as const) {
        progress(`${impl} b${batch} t=${threads}: ${(m.seconds * 1e3).toFixed(1)} ms`);
        rows.push({ suite: 'rbm', case: rbmCase(batch), impl, threads, metric: 'epoch', unit: 'ms', value: m.seconds * 1e3 });
      }
    }
  }
  return rows;
}

function sklearnRows(opts: SuiteOptions, x: Float32Array): Row[] {
  const tmp = scratch();
  const rows: Row[] = [];
  try {
    const path = tmp.write('x.f32', x);
    for (const threads of opts.threads) {
      const cfg = { threads, repeats: opts.repeats, rows: ROWS, cols: FEATURES, hidden: HIDDEN, learningRate: LEARNING_RATE, batches: BATCHES, x: path };
      const out = runPeer<{ results: Array<{ batch: number; epoch: number }> }>('sklearn_rbm.py', cfg);
      for (const r of out.results) {
        progress(`sklearn b${r.batch} t=${threads}: ${(r.epoch * 1e3).toFixed(1)} ms`);
        rows.push({ suite: 'rbm', case: rbmCase(r.batch), impl: 'sklearn', threads, metric: 'epoch', unit: 'ms', value: r.epoch * 1e3 });
      }
    }
  } catch (e) {
    note(`sklearn skipped: ${(e as Error).message.split('\n').slice(-1)[0]}`);
  } finally {
    tmp.dispose();
  }
  return rows;
}

export async function runRbmSuite(opts: SuiteOptions): Promise<Row[]> {
  const x = rbmData();
  const rows = await vigilRows(opts, x);
  rows.push(...sklearnRows(opts, x));
  return rows;
}
