// `vigil train --detector` and `vigil score` on a user's tiny CSV, end to end in-process: categorical
// columns encoded, the encoding and scaling saved with the model, raw rows scored by the loaded
// file; bad flags and bad data with their exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../ts/cli.ts';
import { CustomDataError } from '../ts/experiments/custom.ts';
import { readTable, readTableAsync } from '../ts/experiments/detector_train.ts';
import { loadDetector } from '../ts/models/detectors/detector.ts';
import type { IsolationForest } from '../ts/models/detectors/iforest.ts';
import { TabularPipeline } from '../ts/models/preprocessing/tabular_pipeline.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { throwsError } from './helpers/errors.ts';
import { rng } from './helpers/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-detector-'));
const path = (name: string) => join(dir, name);
test.after(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/** id, proto (categorical), bytes, latency, label: normal rows near a pattern, anomalies far from it. */
function csv(n: number, anomalies: number, seed: number, header = true): string {
  const r = rng(seed);
  const lines = header ? ['id,proto,bytes,latency,label'] : [];
  for (let i = 0; i < n; i++) {
    const bad = i % Math.floor(n / anomalies) === 0;
    const proto = bad ? 'icmp' : ['tcp', 'udp'][Math.floor(r() * 2)];
    const bytes = bad ? 50_000 + r() * 1e4 : 500 + r() * 100;
    const latency = bad ? 200 + r() * 50 : 20 + r() * 5;
    lines.push(`r${i},${proto},${bytes.toFixed(0)},${latency.toFixed(2)},${bad ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

writeFileSync(path('train.csv'), csv(300, 6, 1));
writeFileSync(path('new.csv'), csv(120, 8, 2));

for (const kind of ['iforest', 'ocsvm', 'rbm', 'autoencoder']) {
  test(`vigil train --detector ${kind} then vigil score on raw rows: anomalies flagged, encoders saved`, async () => {
    const model = path(`${kind}.vigil`);
    const t = capture();
    const extra = kind === 'rbm' || kind === 'autoencoder' ? ['--epochs', '30'] : [];
    const code = await main(['train', '--detector', kind, '--csv', path('train.csv'), '--label-column', 'label', '--id-column', 'id',
      '--out', model, '--contamination', '0.05', '--json', path(`${kind}.json`), ...extra], t.io);
    assert.is(code, 0, t.err());
    assert.match(t.err(), /300 rows, 3 feature column\(s\), categorical: proto/);
    assert.match(t.out(), /features +proto, bytes, latency/);
    const j = JSON.parse(readFileSync(path(`${kind}.json`), 'utf8'));
    assert.equal(j.features, ['proto', 'bytes', 'latency']);
    const det = await loadDetector(model);
    assert.ok(det.preprocessing instanceof TabularPipeline);
    assert.is(det.preprocessing!.scale, kind === 'iforest' ? null : 'standard');

    const s = capture();
    assert.is(await main(['score', '--model', model, '--input', path('new.csv'), '--id-column', 'id', '--label-column', 'label',
      '--output', path(`${kind}.scores.csv`)], s.io), 0, s.err());
    const rows = readFileSync(path(`${kind}.scores.csv`), 'utf8').trim().split('\n');
    assert.is(rows[0], 'row,id,score,prediction');
    assert.is(rows.length, 121);
    const auc = Number(/ROC AUC\s+(\d\.\d+)/.exec(s.out())![1]);
    assert.ok(auc > 0.95, `${kind}: ROC AUC ${auc}`);
    // The anomalies (every 15th row) are flagged.
    const flagged = rows.slice(1).map((l) => l.split(',')).filter((f) => f[3] === '1').map((f) => f[1]);
    for (let i = 0; i < 120; i += 15) assert.ok(flagged.includes(`r${i}`), `${kind}: r${i} not flagged (${flagged.join(' ')})`);
  });
}

test('readTable: default feature columns, categorical detection, --no-header indices, and clear errors', () => {
  const t = readTable(path('train.csv'), { exclude: ['label', 'id'] });
  assert.equal(t.features, ['proto', 'bytes', 'latency']);
  assert.equal(t.categorical, ['proto']);
  assert.is(t.rows.length, 300);
  assert.equal(t.rows[1].length, 3);
  writeFileSync(path('nohead.csv'), csv(20, 2, 3, false));
  const n = readTable(path('nohead.csv'), { header: false, columns: ['2', '3'] });
  assert.equal(n.features, ['2', '3']);
  assert.equal(n.categorical, []);
  throwsError(() => readTable(path('train.csv'), { columns: ['nope'] }), Error, /--columns 'nope' is not a column of the header/);
  throwsError(() => readTable(path('train.csv'), { columns: ['bytes', 'bytes'] }), Error, /names column bytes twice/);
  throwsError(() => readTable(path('train.csv'), { columns: ['label'], exclude: ['label'] }), Error, /both a feature and the label/);
  writeFileSync(path('ragged.csv'), 'a,b\n1,2\n3\n');
  throwsError(() => readTable(path('ragged.csv')), Error, /ragged.csv:3: 1 field\(s\), the first record has 2/);
});

test('readTableAsync: the sync form\'s table, and its errors', async () => {
  const opts = { exclude: ['label', 'id'] };
  assert.equal(await readTableAsync(path('train.csv'), opts), readTable(path('train.csv'), opts));
  for (const [name, o] of [['train.csv', { columns: ['nope'] }], ['ragged.csv', {}], ['missing.csv', {}]] as const) {
    await rejectsLikeSync(() => readTable(path(name), o), readTableAsync(path(name), o));
  }
  writeFileSync(path('one.csv'), 'a,b\n1,2\n');
  assert.instance(await rejectsLikeSync(() => readTable(path('one.csv')), readTableAsync(path('one.csv'))), CustomDataError);
});

test('vigil train --detector iforest --extension-level: the extended forest is saved; a level of the feature count or more is refused', async () => {
  const model = path('eif.vigil');
  const t = capture();
  assert.is(await main(['train', '--detector', 'iforest', '--csv', path('train.csv'), '--label-column', 'label', '--id-column', 'id',
    '--out', model, '--extension-level', '2', '--seed', '3'], t.io), 0, t.err());
  const det = await loadDetector<IsolationForest>(model, 'IsolationForest');
  assert.is(det.extensionLevel, 2);
  const c = capture();
  assert.is(await main(['train', '--detector', 'iforest', '--csv', path('train.csv'), '--label-column', 'label', '--id-column', 'id',
    '--out', path('eif3.vigil'), '--extension-level', '3'], c.io), 1);
  assert.match(c.err(), /IsolationForest.fit: extensionLevel must be below the 3 features of x, got 3/);
});

test('vigil train --detector: usage errors exit 2, bad data exits 1', async () => {
  const usage = [
    ['train', '--detector', 'forest', '--csv', path('train.csv'), '--out', path('x.vigil')],
    ['train', '--detector', 'iforest', '--out', path('x.vigil')],
    ['train', '--detector', 'iforest', '--csv', path('train.csv')],
    ['train', '--detector', 'iforest', '--csv', path('train.csv'), '--data', path('train.csv'), '--out', path('x.vigil')],
    ['train', '--detector', 'iforest', '--csv', path('train.csv'), '--out', path('x.vigil'), '--contamination', '0.7'],
    ['train', '--detector', 'iforest', '--csv', path('train.csv'), '--out', path('x.vigil'), '--epochs', '3'],
    ['train', '--detector', 'iforest', '--csv', path('train.csv'), '--out', path('x.vigil'), '--columns', 'a,,b'],
    ['train', '--detector', 'ocsvm', '--csv', path('train.csv'), '--out', path('x.vigil'), '--extension-level', '1'],
    ['train', '--detector', 'iforest', '--csv', path('train.csv'), '--out', path('x.vigil'), '--extension-level', '-1'],
  ];
  for (const argv of usage) {
    const c = capture();
    assert.is(await main(argv, c.io), 2, argv.join(' '));
    assert.match(c.err(), /vigil: /);
  }
  const c = capture();
  assert.is(await main(['train', '--detector', 'iforest', '--csv', path('train.csv'), '--out', path('x.vigil'), '--columns', 'nope'], c.io), 1);
  assert.match(c.err(), /'nope' is not a column/);
  const h = capture();
  assert.is(await main(['train', '--help'], h.io), 0);
  assert.match(h.out(), /--detector KIND +iforest, ocsvm, rbm, autoencoder/);
});

test.run();
