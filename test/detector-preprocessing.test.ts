// A TabularPipeline as detector.preprocessing: raw rows (CSV cells) in every call, fitted by fit(),
// saved in the model file and restored by loadDetector.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Autoencoder } from '../ts/models/detectors/autoencoder.ts';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import { RBM } from '../ts/models/detectors/rbm.ts';
import type { Cell } from '../ts/models/preprocessing/encoders.ts';
import { TabularPipeline } from '../ts/models/preprocessing/tabular_pipeline.ts';
import { decodeModelFile, encodeModelFile, ModelFileError } from '../ts/models/serialize.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { rng } from './helpers/random.ts';

const COLUMNS = ['host', 'proto', 'bytes', 'latency'];

/** Rows as a CSV reader gives them: every cell a string. */
function rawRows(n: number, seed: number): Cell[][] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => [
    `h${i % 7}`, ['tcp', 'udp'][Math.floor(r() * 2)], String(Math.floor(Math.exp(r() * 9))), (r() * 40 + 1).toFixed(3),
  ]);
}

const pipeline = (scale: 'standard' | null = null) =>
  new TabularPipeline({ columns: COLUMNS, features: ['proto', 'bytes', 'latency'], categorical: ['proto'], log: ['bytes'], scale });

test('fit on raw rows fits the pipeline; scores equal the detector fitted on the transformed rows', async () => {
  const rows = rawRows(300, 1);
  const d = new IsolationForest({ nEstimators: 30, seed: 4 });
  d.preprocessing = pipeline();
  await d.fit(rows);
  assert.ok(d.preprocessing!.fitted);
  const features = pipeline().fit(rows).transform(rows);
  const plain = await new IsolationForest({ nEstimators: 30, seed: 4 }).fit(features);
  const fresh = rawRows(50, 2);
  const want = await plain.scoreSamples(pipeline().fit(rows).transform(fresh));
  assert.equal(Array.from(await d.scoreSamples(fresh)), Array.from(want));
  assert.equal(Array.from(d.scoreSamplesSync(fresh)), Array.from(want));
  assert.equal(Array.from(await d.predict(fresh)), Array.from(want, (v) => (v > d.threshold ? 1 : 0)));
  // A fitted pipeline is kept as it is by a further fit.
  const p = d.preprocessing!;
  const before = JSON.stringify(p.toJSON());
  await d.fit(rawRows(100, 9));
  assert.is(JSON.stringify(p.toJSON()), before);
  // With preprocessing, inputs are raw rows.
  await rejectsError(d.scoreSamples({ data: new Float32Array(3), shape: [1, 3] }), TypeError, /raw rows/);
  await rejectsError(d.scoreSamples([['h1', 'tcp', '12']]), RangeError, /rows\[0\] has 3 columns, expected 4/);
  throwsError(() => { d.preprocessing = {} as never; }, TypeError, /preprocessing must be a TabularPipeline or null/);
});

test('the pipeline travels in the model file: a loaded detector scores raw rows, for every tabular detector', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-det-pre-'));
  try {
    const rows = rawRows(200, 3);
    const fresh = rawRows(40, 4);
    const dets = [
      new IsolationForest({ nEstimators: 20 }),
      new OneClassSVM({ nu: 0.2 }),
      new RBM({ epochs: 3, hiddenUnits: 4 }),
      new Autoencoder({ epochs: 3 }),
    ];
    for (const d of dets) {
      d.preprocessing = pipeline(d instanceof IsolationForest ? null : 'standard');
      await d.fit(rows);
      const path = join(dir, `${d.modelType}.vigil`);
      await d.save(path);
      const back = await loadDetector(path);
      assert.ok(back.preprocessing instanceof TabularPipeline, d.modelType);
      assert.equal(back.preprocessing!.toJSON(), d.preprocessing!.toJSON());
      assert.equal(Array.from(await back.scoreSamples(fresh as never)), Array.from(await d.scoreSamples(fresh)), d.modelType);
    }
    // Without preprocessing the file says null and the loaded detector takes features.
    const plain = await new IsolationForest({ nEstimators: 5 }).fit(pipeline().fit(rows).transform(rows));
    await plain.save(join(dir, 'plain.vigil'));
    assert.is(decodeModelFile(readFileSync(join(dir, 'plain.vigil')), 'plain').header.preprocessing, null);
    assert.is((await loadDetector(join(dir, 'plain.vigil'))).preprocessing, null);

    // A damaged pipeline in the file is refused by name.
    const path = join(dir, 'IsolationForest.vigil');
    const file = decodeModelFile(readFileSync(path), path);
    const header = file.header;
    const table = { ...header.preprocessing!.table!, scaler: { type: 'StandardScaler' } };
    writeFileSync(join(dir, 'bad.vigil'), encodeModelFile(
      { modelType: header.modelType, model: header.model, compile: null, preprocessing: { ...header.preprocessing!, table: table as never } },
      header.weights.map((w, i) => ({ name: w.name, shape: w.shape, value: file.weights[i] })),
    ));
    await rejectsError(loadDetector(join(dir, 'bad.vigil')), ModelFileError, /bad preprocessing: TabularPipeline.fromJSON: scaler present with scale null/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save refuses an unfitted pipeline set after fit', async () => {
  const rows = rawRows(80, 5);
  const d = await new IsolationForest({ nEstimators: 5 }).fit(pipeline().fit(rows).transform(rows));
  d.preprocessing = pipeline();
  await rejectsError(d.save(join(tmpdir(), 'never-written.vigil')), Error, /preprocessing is not fitted/);
});

test.run();
