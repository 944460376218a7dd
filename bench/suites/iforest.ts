// Suite `iforest`: isolation forests of 100 trees x 256 rows on 100,000 rows of 20 and 41 features.
// Metrics `fit` (growing the trees) and `score` (anomaly scores of all 100,000 rows), in ms. One more
// case, vigil only: the extended forest (hyperplane splits, fully extended) on the 20 features.
// Peers: scikit-learn's IsolationForest (child process, n_jobs = threads) and the npm package
// `isolation-forest` (single-threaded JS, timed on a subset and scaled: see NPM_PLAN).
import { randomNormal, randomUniform } from '../../ts/bindings/random.ts';
import { createForest, iforestFitAsync } from '../../ts/bindings/iforest.ts';
import type { Forest } from '../../ts/bindings/iforest.ts';
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { IsolationForest } from '../../ts/models/detectors/iforest.ts';
import { tensor } from '../../ts/models/tensor.ts';
import { scratch } from '../data.ts';
import { measure, note, progress, type Row, type SuiteOptions } from '../harness.ts';
import { runPeer } from '../python.ts';

export const ROWS = 100_000;
export const FEATURES = [20, 41];
export const TREES = 100;
export const MAX_SAMPLES = 256;
// The npm package needs seconds per thousand rows; it is timed on the first rows of the same data.
// Its fit grows every tree on all the rows it is given (0.0.9 passes the whole table, not the
// subsample, to each tree) and shuffles them all per tree, so its fit time is linear in the rows;
// its score time is linear in the rows scored. Both are scaled to 100,000 rows.
export const NPM_PLAN = { fitRows: 5_000, scoreRows: 2_000, repeats: 3 };

export const iforestCase = (cols: number) => `${ROWS}x${cols} ${TREES} trees x ${MAX_SAMPLES}`;
/** The extended forest's case: full extension (every normal has all `cols` components), the paper's default. */
export const EXTENDED = { cols: 20, extensionLevel: 19 };
export const extendedCase = () => `${iforestCase(EXTENDED.cols)} extensionLevel ${EXTENDED.extensionLevel}`;

/** 99 % N(0, 1) rows and 1 % uniform in [-6, 6): vigil's Philox generator, seed per width. */
export function iforestData(cols: number, seed = 4242): Float32Array {
  const x = randomNormal(new Float32Array(ROWS * cols), seed + cols, 1);
  const outliers = randomUniform(new Float32Array((ROWS / 100) * cols), seed + cols, 2, -6, 6);
  for (let i = 0; i < ROWS / 100; i++) x.set(outliers.subarray(i * cols, (i + 1) * cols), i * 100 * cols);
  return x;
}

/** A fast scorer that walks the trees wrong would win: check a few rows against a plain walk first. */
function spotCheck(f: Forest, x: Float32Array, cols: number, pathLengths: Float32Array): string | null {
  const inner = 2 ** f.height - 1;
  const k = (f.extensionLevel ?? 0) + 1;
  // The split's left test: one feature, or the hyperplane's sum in slice order (ts/bindings/iforest.ts).
  const left = (t: number, i: number, r: number) => {
    if (k === 1) return x[r * cols + f.feature[t * inner + i]] <= f.threshold[t * inner + i];
    let v = 0;
    for (let j = 0; j < k; j++) v += f.normal![(t * inner + i) * k + j] * x[r * cols + f.normalFeature![(t * inner + i) * k + j]];
    return v <= f.threshold[t * inner + i];
  };
  for (let s = 0; s < 16; s++) {
    const r = (s * 7919) % ROWS;
    let sum = 0;
    for (let t = 0; t < f.trees; t++) {
      let i = 0;
      for (let l = 0; l < f.height; l++) i = 2 * i + (left(t, i, r) ? 1 : 2);
      sum += f.leafValue[t * (inner + 1) + i - inner];
    }
    if (Math.fround(sum / f.trees) !== pathLengths[r]) return `row ${r}: path length ${pathLengths[r]}, expected ${sum / f.trees}`;
  }
  return null;
}

async function vigilRows(opts: SuiteOptions, data: Map<number, Float32Array>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const threads of opts.threads) {
    setNumThreads(threads);
    for (const cols of FEATURES) {
      const x = data.get(cols)!;
      const xt = tensor(x, [ROWS, cols]);
      try {
        const det = await new IsolationForest({ nEstimators: TREES, maxSamples: MAX_SAMPLES, device: 'cpu' }).fit(xt);
        const bad = spotCheck(det.forest, x, cols, await det.pathLengths(xt));
        if (bad) {
          note(`vigil iforest ${cols} features gives wrong path lengths (${bad}); not timed`);
          continue;
        }
        const forest = createForest(TREES, MAX_SAMPLES);
        const grow = { maxFeatures: cols, bootstrap: false, seed: 0 };
        const fit = await measure(() => iforestFitAsync(ROWS, cols, x, forest, grow), opts.repeats);
        const score = await measure(() => det.scoreSamples(xt), opts.repeats);
        for (const [metric, t] of [['fit', fit], ['score', score]] as const) {
          progress(`vigil ${cols} features t=${threads} ${metric}: ${(t.seconds * 1e3).toFixed(2)} ms`);
          rows.push({ suite: 'iforest', case: iforestCase(cols), impl: 'vigil', threads, metric, unit: 'ms', value: t.seconds * 1e3 });
        }
      } catch (e) {
        note(`vigil iforest ${cols} features t=${threads} failed: ${(e as Error).message}`);
      }
    }
    rows.push(...(await extendedRows(opts, data, threads)));
  }
  return rows;
}

/** The extended forest: its fit (the whole forest in one call) and the detector's scoreSamples, as above. */
async function extendedRows(opts: SuiteOptions, data: Map<number, Float32Array>, threads: number): Promise<Row[]> {
  const { cols, extensionLevel } = EXTENDED;
  const x = data.get(cols)!;
  const xt = tensor(x, [ROWS, cols]);
  try {
    const det = await new IsolationForest({ nEstimators: TREES, maxSamples: MAX_SAMPLES, extensionLevel, device: 'cpu' }).fit(xt);
    const bad = spotCheck(det.forest, x, cols, await det.pathLengths(xt));
    if (bad) {
      note(`vigil extended iforest gives wrong path lengths (${bad}); not timed`);
      return [];
    }
    const forest = createForest(TREES, MAX_SAMPLES, extensionLevel);
    const grow = { maxFeatures: cols, bootstrap: false, seed: 0 };
    const fit = await measure(() => iforestFitAsync(ROWS, cols, x, forest, grow), opts.repeats);
    const score = await measure(() => det.scoreSamples(xt), opts.repeats);
    return ([['fit', fit], ['score', score]] as const).map(([metric, t]) => {
      progress(`vigil extended (extensionLevel ${extensionLevel}) ${cols} features t=${threads} ${metric}: ${(t.seconds * 1e3).toFixed(2)} ms`);
      return { suite: 'iforest', case: extendedCase(), impl: 'vigil', threads, metric, unit: 'ms', value: t.seconds * 1e3 };
    });
  } catch (e) {
    note(`vigil extended iforest t=${threads} failed: ${(e as Error).message}`);
    return [];
  }
}

function sklearnRows(opts: SuiteOptions, data: Map<number, Float32Array>): Row[] {
  const tmp = scratch();
  const rows: Row[] = [];
  try {
    const cases = FEATURES.map((cols) => ({ rows: ROWS, cols, x: tmp.write(`x${cols}.f32`, data.get(cols)!) }));
    for (const threads of opts.threads) {
      // score_samples takes seconds: at most 3 repeats.
      const cfg = { threads, repeats: opts.repeats, scoreRepeats: Math.min(3, opts.repeats), trees: TREES, maxSamples: MAX_SAMPLES, cases };
      const out = runPeer<{ results: Array<{ cols: number; fit: number; score: number }> }>('sklearn_iforest.py', cfg);
      for (const r of out.results) {
        for (const metric of ['fit', 'score'] as const) {
          progress(`sklearn ${r.cols} features t=${threads} ${metric}: ${(r[metric] * 1e3).toFixed(1)} ms`);
          rows.push({ suite: 'iforest', case: iforestCase(r.cols), impl: 'sklearn', threads, metric, unit: 'ms', value: r[metric] * 1e3 });
        }
      }
    }
  } catch (e) {
    note(`sklearn skipped: ${(e as Error).message.split('\n').slice(-1)[0]}`);
  } finally {
    tmp.dispose();
  }
  return rows;
}

interface NpmForest {
  fit(x: number[][]): unknown;
  predict(x: number[][]): number[];
}

async function npmRows(opts: SuiteOptions, data: Map<number, Float32Array>): Promise<Row[]> {
  if (!opts.threads.includes(1)) {
    note('isolation-forest skipped: it runs single-threaded and --threads does not include 1');
    return [];
  }
  let Ctor: new (trees: number, subsample: number) => NpmForest;
  try {
    Ctor = (await import('isolation-forest')).IsolationForest as unknown as typeof Ctor;
  } catch (e) {
    note(`isolation-forest skipped: ${(e as Error).message}`);
    return [];
  }
  const rows: Row[] = [];
  for (const cols of FEATURES) {
    const x = data.get(cols)!;
    const table = (n: number) => Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * cols, (i + 1) * cols)));
    const fitRows = table(NPM_PLAN.fitRows);
    const scoreRows = table(NPM_PLAN.scoreRows);
    const repeats = Math.min(NPM_PLAN.repeats, opts.repeats);
    try {
      const fit = await measure(() => new Ctor(TREES, MAX_SAMPLES).fit(fitRows), repeats);
      const model = new Ctor(TREES, MAX_SAMPLES);
      model.fit(fitRows);
      const score = await measure(() => model.predict(scoreRows), repeats);
      const scaled = { fit: (fit.seconds * ROWS) / NPM_PLAN.fitRows, score: (score.seconds * ROWS) / NPM_PLAN.scoreRows };
      for (const metric of ['fit', 'score'] as const) {
        const on = metric === 'fit' ? NPM_PLAN.fitRows : NPM_PLAN.scoreRows;
        progress(`isolation-forest ${cols} features ${metric}: ${(scaled[metric] * 1e3).toFixed(0)} ms (timed on ${on} rows, scaled)`);
        const value = scaled[metric] * 1e3;
        rows.push({ suite: 'iforest', case: iforestCase(cols), impl: 'isolation-forest', threads: 1, metric, unit: 'ms', value });
      }
    } catch (e) {
      note(`isolation-forest ${cols} features failed: ${(e as Error).message}`);
    }
  }
  return rows;
}

export async function runIforestSuite(opts: SuiteOptions): Promise<Row[]> {
  const data = new Map(FEATURES.map((cols) => [cols, iforestData(cols)]));
  const rows = await vigilRows(opts, data);
  rows.push(...sklearnRows(opts, data));
  rows.push(...(await npmRows(opts, data)));
  return rows;
}
