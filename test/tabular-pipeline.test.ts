// TabularPipeline: raw CSV-like rows -> a detector's float features (pick, encode, log1p, scale,
// clip), and its JSON round trip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TabularPipeline } from '../ts/models/preprocessing/tabular_pipeline.ts';
import type { Cell } from '../ts/models/preprocessing/encoders.ts';
import { throwsError } from './helpers/errors.ts';

// A seeded table: id (unused), proto (category), bytes (heavy-tailed), rate, as a CSV reader gives them.
function table(n: number, seed: number): Cell[][] {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => [
    `id${i}`, ['tcp', 'udp', 'icmp'][Math.floor(u() * 3)], String(Math.floor(Math.exp(u() * 12))), (u() * 2 - 0.5).toFixed(4),
  ]);
}
const COLUMNS = ['id', 'proto', 'bytes', 'rate'];

test('features are picked by name in the given order, categories coded, log1p and standardisation applied', () => {
  const rows = table(200, 3);
  const p = new TabularPipeline({ columns: COLUMNS, features: ['rate', 'proto', 'bytes'], categorical: ['proto'], log: ['bytes'], scale: 'standard' });
  const x = p.fitTransform(rows);
  assert.equal(x.shape, [200, 3]);
  assert.is(p.nFeatures, 3);
  const col = (j: number) => Array.from({ length: 200 }, (_, i) => x.data[i * 3 + j]);
  for (let j = 0; j < 3; j++) {
    const c = col(j);
    const mean = c.reduce((a, b) => a + b, 0) / c.length;
    const sd = Math.sqrt(c.reduce((a, v) => a + (v - mean) ** 2, 0) / c.length);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-4, `column ${j}: mean ${mean}, sd ${sd}`);
  }
  // bytes: log1p before scaling, so the standardised value is affine in log1p(bytes).
  const lb = rows.map((r) => Math.log1p(Number(r[2])));
  const m = lb.reduce((a, b) => a + b, 0) / lb.length;
  const sd = Math.sqrt(lb.reduce((a, v) => a + (v - m) ** 2, 0) / lb.length);
  rows.forEach((_, i) => assert.ok(Math.abs(x.data[i * 3 + 2] - (lb[i] - m) / sd) < 1e-4));
  // The same rows transform to the same values; the unused id column is never parsed.
  assert.equal(Array.from(p.transform(rows).data), Array.from(x.data));
});

test('unscaled features keep the encoded values; a category fit never saw codes as -1; clip caps scaled values', () => {
  const rows = [...table(50, 9), ['a', 'icmp', '1', '0'], ['b', 'udp', '1', '0'], ['c', 'tcp', '1', '0']];
  const p = new TabularPipeline({ columns: COLUMNS, features: ['proto', 'bytes'], categorical: ['proto'] }).fit(rows);
  const x = p.transform([['z', 'tcp', '7', '0'], ['z', 'sctp', '1e3', '0']]);
  assert.equal(Array.from(x.data), [1, 7, -1, 1000]); // classes sorted: icmp 0, tcp 1, udp 2
  const c = new TabularPipeline({ columns: COLUMNS, features: ['bytes'], scale: 'standard', clip: 1.5 }).fit(rows);
  const y = c.transform([...rows, ['z', 'tcp', '1e9', '0']]);
  assert.ok(y.data.every((v) => Math.abs(v) <= 1.5));
  assert.is(y.data[y.data.length - 1], 1.5);
  const mm = new TabularPipeline({ columns: COLUMNS, features: ['rate'], scale: 'minmax' }).fitTransform(rows);
  assert.is(Math.min(...mm.data), 0);
  assert.is(Math.max(...mm.data), 1);
});

test('toJSON / fromJSON: the rebuilt pipeline transforms identically; bad JSON is refused by field', () => {
  const rows = table(120, 5);
  const p = new TabularPipeline({ columns: COLUMNS, features: ['proto', 'bytes', 'rate'], categorical: ['proto'], log: ['bytes'], scale: 'standard', clip: 4 }).fit(rows);
  const j = JSON.parse(JSON.stringify(p.toJSON()));
  const q = TabularPipeline.fromJSON(j);
  const fresh = table(30, 77);
  assert.equal(Array.from(q.transform(fresh).data), Array.from(p.transform(fresh).data));
  assert.equal(q.toJSON(), p.toJSON());
  throwsError(() => TabularPipeline.fromJSON({ ...j, type: 'X' }), TypeError, /type must be "TabularPipeline"/);
  throwsError(() => TabularPipeline.fromJSON({ ...j, version: 99 }), RangeError, /newer/);
  throwsError(() => TabularPipeline.fromJSON({ ...j, scaler: null }), TypeError, /scaler missing/);
  throwsError(() => TabularPipeline.fromJSON({ ...j, config: { ...j.config, features: ['bytes', 'proto', 'rate'] } }), TypeError, /encoder/);
  throwsError(() => TabularPipeline.fromJSON({ ...j, encoder: { ...j.encoder, categories: [] } }), TypeError, /encoder/);
});

test('bad options and bad rows: errors name the argument', () => {
  throwsError(() => new TabularPipeline(null as never), TypeError, /options must be an object/);
  throwsError(() => new TabularPipeline({ columns: [] }), TypeError, /columns must be a non-empty array/);
  throwsError(() => new TabularPipeline({ columns: ['a', 'a'] }), RangeError, /columns names "a" twice/);
  throwsError(() => new TabularPipeline({ columns: ['a'], features: ['b'] }), RangeError, /features names "b"/);
  throwsError(() => new TabularPipeline({ columns: ['a', 'b'], features: ['a'], categorical: ['b'] }), RangeError, /categorical names "b"/);
  throwsError(() => new TabularPipeline({ columns: ['a'], categorical: ['a'], log: ['a'] }), RangeError, /categorical and cannot be in log/);
  throwsError(() => new TabularPipeline({ columns: ['a'], scale: 'robust' as never }), RangeError, /scale must be/);
  throwsError(() => new TabularPipeline({ columns: ['a'], clip: 3 }), TypeError, /clip needs a scale/);
  throwsError(() => new TabularPipeline({ columns: ['a'], scale: 'standard', clip: -1 }), RangeError, /clip must be a positive/);
  const p = new TabularPipeline({ columns: COLUMNS, features: ['proto', 'bytes'], categorical: ['proto'] });
  throwsError(() => p.transform(table(3, 1)), Error, /not fitted yet/);
  throwsError(() => p.toJSON(), Error, /not fitted yet/);
  throwsError(() => p.fit([]), RangeError, /rows is empty/);
  throwsError(() => p.fit([['a', 'tcp', '1']]), RangeError, /rows\[0\] has 3 columns, expected 4/);
  throwsError(() => p.fit([['a', 'tcp', 'many', '0']]), RangeError, /"many", not a number \(column 1 \(bytes\)/);
  throwsError(() => p.fit('x' as never), TypeError, /rows must be an array/);
});

test.run();
