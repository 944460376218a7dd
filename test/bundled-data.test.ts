// An installed package has no data/ (it stays in the repository): a loader asked for a bundled
// file then says so and what to do, instead of a bare "file not found". A user's own missing file
// keeps the plain message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_DATA, BUNDLED_DATA_DIR, loadPhishing, missingDataError } from '../ts/models/datasets.ts';
import { BUNDLED_TABULAR } from '../ts/models/tabular_datasets.ts';
import { BUNDLED_NAB, loadNabCorpus, NabError } from '../ts/nab/corpus.ts';
import { throwsError } from './helpers/errors.ts';

const base = mkdtempSync(join(tmpdir(), 'vigil-bundled-'));
const absent = join(base, 'pkg', 'data');

test('a path inside an absent data folder gets the bundled-data error', () => {
  const err = missingDataError('loadPhishing', join(absent, 'phishing', 'phishing.csv.gz'), absent);
  assert.ok(err instanceof Error);
  assert.match(err!.message, /^loadPhishing: .*phishing\.csv\.gz is bundled data/);
  assert.match(err!.message, /in vigil's repository, not the npm package/);
  assert.match(err!.message, /clone the repository .* or pass the path of your own file/);
  // The folder itself (NAB's loader is given a folder) counts too.
  assert.ok(missingDataError('loadNabCorpus', join(absent, 'nab'), absent) instanceof Error);
});

test('other paths, or a data folder that is there, get null (the caller keeps its own message)', () => {
  assert.is(missingDataError('x', join(base, 'elsewhere.csv'), absent), null);
  assert.is(missingDataError('x', join(base, 'pkg', 'database.csv'), absent), null);
  const present = join(base, 'present', 'data');
  mkdirSync(present, { recursive: true });
  assert.is(missingDataError('x', join(present, 'gone.csv'), present), null);
});

test('every bundled path lies in BUNDLED_DATA_DIR, which this checkout has', () => {
  for (const p of [...Object.values(BUNDLED_DATA), ...Object.values(BUNDLED_TABULAR), BUNDLED_NAB]) {
    assert.ok(p.startsWith(BUNDLED_DATA_DIR), p);
    assert.is(missingDataError('x', p), null);
  }
});

test('loaders keep the plain message for a missing file of the user', () => {
  throwsError(() => loadPhishing(join(base, 'mine.csv')), Error, /^loadPhishing: file not found: /);
  throwsError(() => loadNabCorpus(join(base, 'nab-here')), NabError, /NAB folder not found/);
});

test.run();
