// The tabular loaders (ts/models/tabular_datasets.ts) on the bundled KDD Cup 99 and credit-card
// files and on small real samples of them (test/fixtures/make_tabular_fixtures.py), gzipped or not,
// and on broken files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DataFormatError } from '../ts/models/preprocessing/csv.ts';
import { ColumnEncoder } from '../ts/models/preprocessing/encoders.ts';
import {
  CREDITCARD_COLUMNS, KDD_COLUMNS, kddEncoder, loadCreditcard, loadCreditcardAsync, loadKdd, loadKddAsync, readKdd, readKddAsync,
} from '../ts/models/tabular_datasets.ts';
import type { KddDataset } from '../ts/models/tabular_datasets.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';

const KDD_SAMPLE = fileURLToPath(new URL('./fixtures/kdd_http_sample.csv', import.meta.url));
const CC_SAMPLE = fileURLToPath(new URL('./fixtures/creditcard_sample_small.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vigil-tabular-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('the bundled KDD 10% set: 64,293 http rows (2,407 attacks), 40 features without service', () => {
  const d = loadKdd(undefined, { service: 'http' });
  assert.equal(d.features.shape, [64293, 40]);
  assert.is(d.labels.reduce((a, b) => a + b, 0), 2407);
  assert.is(d.attacks.filter((a) => a === 'back').length, 2203);
  assert.not.ok(d.names.includes('service'));
  assert.equal(d.names, KDD_COLUMNS.filter((c) => c !== 'service'));
  assert.equal(d.encoder.categories, [['tcp'], ['REJ', 'RSTO', 'RSTR', 'S0', 'S1', 'S2', 'S3', 'SF']]);
  assert.ok(d.features.data.every(Number.isFinite));
});

test('KDD sample: http filter, labels, categorical codes and numbers as in the file, gzipped or not', () => {
  const text = readFileSync(KDD_SAMPLE, 'utf8');
  const lines = text.trim().split('\n').filter((l) => l.split(',')[2] === 'http');
  const d = loadKdd(KDD_SAMPLE, { service: 'http' });
  assert.equal(d.features.shape, [460, 40]);
  assert.is(d.labels.reduce((a, b) => a + b, 0), 60);
  const flags = [...new Set(lines.map((l) => l.split(',')[3]))].sort();
  lines.forEach((l, i) => {
    const f = l.split(',');
    assert.is(d.labels[i], f[41] === 'normal.' ? 0 : 1);
    assert.is(d.attacks[i], f[41].slice(0, -1));
    assert.is(d.features.data[i * 40 + 0], Number(f[0]));
    assert.is(d.features.data[i * 40 + 2], flags.indexOf(f[3]));
    assert.is(d.features.data[i * 40 + 3], Math.fround(Number(f[4])));
    assert.is(d.features.data[i * 40 + 39], Math.fround(Number(f[40])));
  });
  const gz = loadKdd(file('sample.gz', gzipSync(text)), { service: 'http' });
  assert.equal(gz.features, d.features);
  // Without the filter every row and all 41 columns, service among the categorical ones.
  const all = readKdd(KDD_SAMPLE);
  assert.is(all.rows.length, 463);
  assert.is(all.names.length, 41);
  assert.is(loadKdd(KDD_SAMPLE).encoder.categorical.length, 3);
});

test('a fitted encoder travels to another file: unseen categories become -1, other columns are refused', () => {
  const train = loadKdd(KDD_SAMPLE, { service: 'http' });
  const lines = readFileSync(KDD_SAMPLE, 'utf8').trim().split('\n').filter((l) => l.split(',')[2] === 'http').slice(0, 2);
  const odd = lines[1].split(',');
  odd[3] = 'OTH';
  const other = loadKdd(file('other.csv', `${lines[0]}\n${odd.join(',')}\n`), { service: 'http', encoder: train.encoder });
  assert.is(other.encoder, train.encoder);
  assert.is(other.features.data[2], train.features.data[2]);
  assert.is(other.features.data[40 + 2], -1);
  throwsError(() => loadKdd(KDD_SAMPLE, { encoder: train.encoder }), RangeError, /fitted on columns .* \(was service the same\?\)/);
  throwsError(() => loadKdd(KDD_SAMPLE, { service: 'http', encoder: {} as never }), TypeError, /ColumnEncoder/);
});

test('broken KDD files are refused with the line', () => {
  const good = readFileSync(KDD_SAMPLE, 'utf8').split('\n')[0];
  const f = good.split(',');
  throwsError(() => readKdd(file('short.csv', `${good}\n${f.slice(0, 41).join(',')}\n`)), DataFormatError, /short\.csv:2: expected 42 comma-separated fields .* got 41/);
  const bad = [...f];
  bad[4] = 'many';
  throwsError(() => readKdd(file('nan.csv', `${good}\n${bad.join(',')}\n`)), DataFormatError, /nan\.csv:2: src_bytes \(field 5\) must be a number, got "many"/);
  throwsError(() => readKdd(file('empty.csv', '\n\n')), DataFormatError, /holds no rows/);
  throwsError(() => readKdd(KDD_SAMPLE, { service: 'gopher' }), DataFormatError, /no rows of service "gopher"/);
  throwsError(() => readKdd(join(dir, 'missing.csv')), Error, /file not found/);
  throwsError(() => readKdd(KDD_SAMPLE, { service: 3 as never }), TypeError, /service must be a non-empty string or null/);
  throwsError(() => readKdd(KDD_SAMPLE, null as never), TypeError, /options must be an object/);
  // A CRLF copy reads the same.
  const crlf = file('crlf.csv', readFileSync(KDD_SAMPLE, 'utf8').replace(/\n/g, '\r\n'));
  assert.equal(loadKdd(crlf, { service: 'http' }).features, loadKdd(KDD_SAMPLE, { service: 'http' }).features);
});

test('credit card: the bundled subsample (1,722 rows, 492 frauds) and the Kaggle header without the index column', () => {
  const d = loadCreditcard();
  assert.equal(d.features.shape, [1722, 30]);
  assert.is(d.labels.reduce((a, b) => a + b, 0), 492);
  assert.equal(d.names, [...CREDITCARD_COLUMNS]);
  assert.is(d.features.data[0], 73479);
  assert.is(d.features.data[1], Math.fround(-3.71667065648705));
  const rows = readFileSync(CC_SAMPLE, 'utf8').trim().split('\n');
  const s = loadCreditcard(CC_SAMPLE);
  assert.equal(s.features.shape, [120, 30]);
  assert.is(s.labels.reduce((a, b) => a + b, 0), 40);
  // Kaggle's own file: quoted names, no index column.
  const kaggle = [`${[...CREDITCARD_COLUMNS, 'Class'].map((c) => `"${c}"`).join(',')}`, ...rows.slice(1).map((r) => {
    const f = r.split(',').slice(1);
    f[f.length - 1] = `"${f[f.length - 1]}"`;
    return f.join(',');
  })].join('\n');
  const k = loadCreditcard(file('kaggle.csv', gzipSync(kaggle)));
  assert.equal(k.features, s.features);
  assert.equal(k.labels, s.labels);
});

test('broken credit-card files are refused with the line', () => {
  const rows = readFileSync(CC_SAMPLE, 'utf8').trim().split('\n');
  throwsError(() => loadCreditcard(file('h.csv', `a,b\n${rows[1]}\n`)), DataFormatError, /h\.csv:1: expected the header Time,V1/);
  throwsError(() => loadCreditcard(file('c.csv', `${rows[0]}\n${rows[1].replace(/,0$/, ',2')}\n`)), DataFormatError, /c\.csv:2: Class must be 0 or 1, got "2"/);
  throwsError(() => loadCreditcard(file('v.csv', `${rows[0]}\n${rows[1].replace(/^(\d+),([^,]+),/, '$1,$2,x,')}\n`)), DataFormatError, /v\.csv:2: expected 32 fields/);
  const f = rows[1].split(',');
  f[5] = '1e39';
  throwsError(() => loadCreditcard(file('big.csv', `${rows[0]}\n${f.join(',')}\n`)), DataFormatError, /big\.csv:2: V4 is 1e39, beyond the float32 range/);
  f[5] = '';
  throwsError(() => loadCreditcard(file('gap.csv', `${rows[0]}\n${f.join(',')}\n`)), DataFormatError, /gap\.csv:2: V4 must be a number, got ""/);
  throwsError(() => loadCreditcard(file('e.csv', '')), DataFormatError, /empty/);
  throwsError(() => loadCreditcard(file('n.csv', `${rows[0]}\n`)), DataFormatError, /no rows/);
});

// The encoder is compared by its state: a class instance's private fields escape a deep-equal.
const plain = (d: KddDataset) => ({ ...d, encoder: d.encoder.toJSON() });

test('loadKddAsync and loadCreditcardAsync: the sync forms\' data sets, with a fitted encoder to go on with', async () => {
  for (const opts of [{ service: 'http' }, {}]) {
    const d = await loadKddAsync(KDD_SAMPLE, opts);
    const want = loadKdd(KDD_SAMPLE, opts);
    assert.equal(plain(d), plain(want));
    assert.ok(d.encoder instanceof ColumnEncoder);
    const rows = readKdd(KDD_SAMPLE, opts).rows;
    assert.equal(d.encoder.transform(rows), want.encoder.transform(rows), 'the rebuilt encoder encodes as the fitted one');
  }
  // A given encoder (fitted or not) is the caller's own, as in the sync form.
  const train = loadKdd(KDD_SAMPLE, { service: 'http' });
  const other = await loadKddAsync(KDD_SAMPLE, { service: 'http', encoder: train.encoder });
  assert.is(other.encoder, train.encoder);
  assert.equal(other.features, train.features);
  const unfitted = kddEncoder(train.names);
  await rejectsLikeSync(() => loadKdd(KDD_SAMPLE, { service: 'http', encoder: unfitted }), loadKddAsync(KDD_SAMPLE, { service: 'http', encoder: unfitted }));
  assert.not.ok(unfitted.fitted, 'the caller\'s encoder is left as it was');
  assert.equal(await loadCreditcardAsync(), loadCreditcard());
  assert.equal(await loadCreditcardAsync(CC_SAMPLE), loadCreditcard(CC_SAMPLE));
});

test('loadKddAsync and loadCreditcardAsync reject with the sync forms\' errors', async () => {
  const good = readFileSync(KDD_SAMPLE, 'utf8').split('\n')[0];
  const short = file('short2.csv', `${good}\n${good.split(',').slice(0, 41).join(',')}\n`);
  const e = await rejectsLikeSync(() => loadKdd(short), loadKddAsync(short));
  assert.ok(e instanceof DataFormatError && e.line === 2);
  const cases: Array<[string | undefined, unknown]> = [
    [KDD_SAMPLE, { service: 'gopher' }], [KDD_SAMPLE, { service: 3 }], [KDD_SAMPLE, null], [KDD_SAMPLE, 'http'], [join(dir, 'missing.csv'), {}],
    [KDD_SAMPLE, { encoder: loadKdd(KDD_SAMPLE, { service: 'http' }).encoder }], [KDD_SAMPLE, { service: 'http', encoder: {} }],
  ];
  for (const [path, opts] of cases) await rejectsLikeSync(() => loadKdd(path, opts as never), loadKddAsync(path, opts as never));
  const rows = readFileSync(CC_SAMPLE, 'utf8').trim().split('\n');
  const cc = file('c2.csv', `${rows[0]}\n${rows[1].replace(/,0$/, ',2')}\n`);
  await rejectsLikeSync(() => loadCreditcard(cc), loadCreditcardAsync(cc));
  // The file exists before either call: the async call starts at once, before the sync one runs.
  const empty = file('e2.csv', '');
  await rejectsLikeSync(() => loadCreditcard(empty), loadCreditcardAsync(empty));
});

test('readKddAsync: readKdd\'s records and errors', async () => {
  assert.equal(await readKddAsync(KDD_SAMPLE, { service: 'http' }), readKdd(KDD_SAMPLE, { service: 'http' }));
  const good = readFileSync(KDD_SAMPLE, 'utf8').split('\n')[0];
  const short = file('short3.csv', `${good}\n${good.split(',').slice(0, 41).join(',')}\n`);
  const e = await rejectsLikeSync(() => readKdd(short), readKddAsync(short));
  assert.ok(e instanceof DataFormatError && e.line === 2);
  await rejectsLikeSync(() => readKdd(KDD_SAMPLE, { service: 3 as never }), readKddAsync(KDD_SAMPLE, { service: 3 as never }));
  await rejectsError(readKddAsync(KDD_SAMPLE, { signal: AbortSignal.abort(new RangeError('stop')) }), RangeError, /^stop$/);
});

test('loadKddAsync stops when its signal aborts', async () => {
  await rejectsError(loadKddAsync(undefined, { signal: AbortSignal.abort() }), DOMException, /aborted/);
  await rejectsError(loadKddAsync(undefined, { signal: 'now' as never }), TypeError, /^loadKddAsync: signal must be an AbortSignal$/);
  const c = new AbortController();
  const p = loadKddAsync(undefined, { signal: c.signal });
  setTimeout(() => c.abort(new RangeError('enough')), 50);
  await rejectsError(p, RangeError, /^enough$/);
});

test.run();
