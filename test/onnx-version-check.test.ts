// A vigil ONNX file from a newer vigil (its `vigil.version` a semver-breaking release ahead of ours, or a
// `vigil.kind` this vigil doesn't know) is refused on import with an error naming both versions, on every
// path that reads the metadata: importOnnx, detectorFromOnnx (this thread and the worker), `vigil import`
// and `vigil score --engine native`; `--engine onnxruntime` runs its graph as any model's. Older files and
// newer patches import. The format versions inside the JSON values are checked too.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../ts/cli.ts';
import { CharTokenizer, Dense, Embedding, IsolationForest, LSTM, Preprocessing, Sequential } from '../ts/index.ts';
import { detectorFromOnnx, detectorFromOnnxAsync } from '../ts/models/onnx/detectors/index.ts';
import { exportOnnx } from '../ts/models/onnx/export/index.ts';
import { importOnnx } from '../ts/models/onnx/import/index.ts';
import { checkVigilFile, META } from '../ts/models/onnx/metadata.ts';
import { decodeModel, encodeModel } from '../ts/models/onnx/proto.ts';
import { tensor } from '../ts/models/tensor.ts';
import { vigilVersion } from '../ts/version.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-onnx-version-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const [MAJOR, MINOR, PATCH] = vigilVersion().split(/[.+-]/).map(Number) as [number, number, number];
/** The next breaking release: a major, or before 1.0 a minor. */
const BREAKING = MAJOR === 0 ? `0.${MINOR + 1}.0` : `${MAJOR + 1}.0.0`;
const READS = MAJOR === 0 ? `0\\.${MINOR}\\.x` : `${MAJOR}\\.x`;
const NEWER = new RegExp(`written by vigil ${BREAKING.replace(/\./g, '\\.')} \\(metadata 'vigil\\.version'\\), newer than this vigil ` +
  `${vigilVersion().replace(/\./g, '\\.')} reads \\(files of vigil ${READS} and older\\): upgrade vigil`);

/** `bytes` with metadata keys set (a value of null removes the key). */
function doctor(bytes: Uint8Array, set: Record<string, string | null>): Uint8Array {
  const m = decodeModel(bytes);
  const meta = (m.metadata_props ?? []).filter((e) => !(e.key in set));
  for (const [key, value] of Object.entries(set)) if (value !== null) meta.push({ key, value });
  m.metadata_props = meta;
  return encodeModel(m);
}

async function vigil(...argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(argv, { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) }, progressStream: null });
  return { code, err: err.join('') };
}

let forest: Uint8Array;
let dense: Uint8Array;
test.before(async () => {
  const det = await new IsolationForest({ nEstimators: 5, seed: 1 }).fit(tensor(randomF32(rng(2), 80 * 3), [80, 3]));
  forest = await exportOnnx(det);
  const model = new Sequential([new Dense(4, { activation: 'relu' }), new Dense(1)], { seed: 3 });
  model.build([3]);
  dense = await exportOnnx(model);
});

test('checkVigilFile: semver-breaking releases ahead are refused, older files and compatible newer ones read', () => {
  const ok = (written: string | undefined, ours: string) => checkVigilFile(written === undefined ? {} : { [META.version]: written }, 'f', ours);
  const refused = (written: string, ours: string, pattern: RegExp) => throwsError(() => ok(written, ours), Error, pattern);
  for (const [written, ours] of [['0.1.0', '0.1.0'], ['0.1.7', '0.1.0'], ['0.0.9', '0.1.0'], ['1.4.0', '1.2.3'], ['0.9.0', '1.0.0'],
    ['1.0.0-rc.1', '1.0.0'], ['3.0.0', 'unknown'], [undefined, '0.1.0']] as const) ok(written, ours);
  refused('0.2.0', '0.1.0', /f: written by vigil 0\.2\.0 \(metadata 'vigil\.version'\), newer than this vigil 0\.1\.0 reads \(files of vigil 0\.1\.x and older\)/);
  refused('1.0.0', '0.1.0', /written by vigil 1\.0\.0 .*files of vigil 0\.1\.x and older/);
  refused('2.0.0', '1.9.9', /written by vigil 2\.0\.0 .*newer than this vigil 1\.9\.9 reads \(files of vigil 1\.x and older\): upgrade vigil to import it, or run the graph with onnxruntime/);
  refused('banana', '0.1.0', /f: metadata 'vigil\.version' is "banana", not a version \(major\.minor\.patch\)/);
  throwsError(() => checkVigilFile({ [META.kind]: 'pipeline', [META.version]: '0.1.0' }, 'f', '0.1.0'), Error,
    /f: metadata 'vigil\.kind' is "pipeline", a kind of model this vigil 0\.1\.0 does not know \(sequential, detector\); the file was written by vigil 0\.1\.0/);
});

test('a detector file from a newer vigil: importOnnx, detectorFromOnnx (both threads), vigil import and --engine native refuse it', async () => {
  const newer = doctor(forest, { [META.version]: BREAKING });
  await rejectsError(importOnnx(newer), Error, NEWER);
  throwsError(() => detectorFromOnnx(newer), Error, NEWER);
  await rejectsError(detectorFromOnnxAsync(newer), Error, NEWER);
  const file = join(dir, 'newer-forest.onnx');
  writeFileSync(file, newer);
  const imp = await vigil('import', file, '--out', join(dir, 'f.vigil'));
  assert.is(imp.code, 1);
  assert.match(imp.err, NEWER);
  const x = join(dir, 'x.json');
  writeFileSync(x, JSON.stringify([[0, 0, 0], [5, -5, 5]]));
  const native = await vigil('score', '--model', file, '--input', x, '--output', join(dir, 'y.json'), '--engine', 'native');
  assert.is(native.code, 1);
  assert.match(native.err, NEWER);
  // onnxruntime runs the graph, but can't know what a newer vigil's outputs mean: the first, with a note.
  const ort = await vigil('score', '--model', file, '--input', x, '--output', join(dir, 'y.json'), '--engine', 'onnxruntime');
  assert.is(ort.code, 0, ort.err);
  assert.match(ort.err, /looks like a detector, but vigil does not read it as one/);
  assert.match(ort.err, NEWER);
  assert.match(ort.err, /first output 'label' \[2, 1\]/);
});

test('a Sequential file from a newer vigil, or of an unknown kind, is refused; older and newer-patch files import', async () => {
  await rejectsError(importOnnx(doctor(dense, { [META.version]: BREAKING })), Error, NEWER);
  await rejectsError(importOnnx(doctor(dense, { [META.kind]: 'pipeline' })), Error, /metadata 'vigil\.kind' is "pipeline", a kind of model this vigil .* does not know/);
  await rejectsError(importOnnx(doctor(forest, { [META.kind]: 'pipeline' })), Error, /metadata 'vigil\.kind' is "pipeline"/);
  for (const v of [`${MAJOR}.${MINOR}.${PATCH + 1}`, '0.0.1', null]) {
    assert.is((await importOnnx(doctor(dense, { [META.version]: v }))).kind, 'sequential', `vigil.version ${v}`);
    assert.is((await importOnnx(doctor(forest, { [META.version]: v }))).kind, 'detector', `vigil.version ${v}`);
  }
});

test('format versions inside the metadata\'s JSON (tokenizer, TabularPipeline) newer than this vigil reads are named', async () => {
  const tokenizer = new CharTokenizer().fitOnTexts(['abc', 'abd']);
  const text = new Sequential([new Embedding(tokenizer.vocabSize, 3), new LSTM(4), new Dense(1, { activation: 'sigmoid' })], { seed: 5 });
  text.build([null]);
  const bytes = await exportOnnx(text, null, { preprocessing: new Preprocessing({ tokenizer, pad: { maxlen: 6 } }) });
  const tok = { ...tokenizer.toJSON(), version: 99 };
  await rejectsError(importOnnx(doctor(bytes, { [META.tokenizer]: JSON.stringify(tok) })), Error,
    /bad preprocessing metadata: CharTokenizer\.fromJSON: format version 99 is newer than this vigil reads \(1\)/);
  const pipeline = JSON.stringify({ type: 'TabularPipeline', version: 99 });
  await rejectsError(importOnnx(doctor(forest, { [META.preprocessing]: pipeline })), Error,
    /metadata 'vigil\.preprocessing': TabularPipeline\.fromJSON: format version 99 is newer than this vigil reads \(1\)/);
});

test.run();
