// LabelEncoder and ColumnEncoder against scikit-learn 1.2's LabelEncoder/OrdinalEncoder (fixtures
// from test/fixtures/make_scaler_fixtures.py: code-point order of strings), unknown labels, CSV
// records to float tables, JSON state; and the JSON lines reader those records may come from.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { JSONObject } from '../ts/models/detectors/detector.ts';
import {
  ColumnEncoder, compareCodePoints, DataFormatError, LabelEncoder, parseCsv, parseJsonLines, readJsonLines, readJsonLinesAsync,
} from '../ts/models/preprocessing/index.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { throwsError } from './helpers/errors.ts';

const fx = JSON.parse(readFileSync(new URL('./fixtures/scalers_sklearn.json', import.meta.url), 'utf8')) as {
  labelEncoder: Array<{ labels: Array<string | number>; classes: Array<string | number>; codes: number[] }>;
  ordinal: { records: string[][]; categorical: number[]; categories: string[][]; codes: number[][] };
};

const KDD_HEADER = ['protocol_type', 'service', 'src_bytes', 'flag'];

test('LabelEncoder matches scikit-learn: sorted classes (strings by code point), codes', () => {
  for (const c of fx.labelEncoder) {
    const e = new LabelEncoder().fit(c.labels);
    assert.equal([...e.classes], c.classes);
    assert.equal(Array.from(e.transform(c.labels)), c.codes);
    assert.equal(Array.from(new LabelEncoder().fitTransform(c.labels)), c.codes);
    assert.equal(e.inverseTransform(c.codes), c.labels);
  }
  // UTF-16 code-unit order would put the astral emoji before U+FF21.
  assert.ok(compareCodePoints('\u{1F600}', '\uff21') > 0);
  assert.ok(['\u{1F600}', '\uff21'].sort()[0] === '\u{1F600}');
  assert.ok(compareCodePoints('ab', 'abc') < 0 && compareCodePoints('b', 'abc') > 0 && compareCodePoints('x', 'x') === 0);
});

test('LabelEncoder: unknown labels are errors, or unknownValue under use-encoded-value', () => {
  const e = new LabelEncoder().fit(['tcp', 'udp', 'icmp']);
  throwsError(() => e.transform(['tcp', 'sctp']), RangeError, /labels\[1\] is "sctp", a label fit never saw \(3 classes\)/);
  throwsError(() => e.transform([1]), RangeError, /labels\[0\] is 1/);
  assert.is(e.classIndex('udp'), 2);
  assert.is(e.classIndex('sctp'), -1);
  const u = new LabelEncoder({ unknown: 'use-encoded-value', unknownValue: -1 }).fit(['b', 'a']);
  assert.equal(Array.from(u.transform(['a', 'zz', 'b'])), [0, -1, 1]);
  assert.equal(u.inverseTransform([1, -1, 0]), ['b', null, 'a']);
  throwsError(() => u.inverseTransform([2]), RangeError, /codes\[0\] is 2, not a code in \[0, 2\)/);
  throwsError(() => u.inverseTransform([0.5]), RangeError, /codes\[0\] is 0.5/);
  // As OrdinalEncoder: the unknown code may not be a class's code.
  throwsError(() => new LabelEncoder({ unknown: 'use-encoded-value', unknownValue: 1 }).fit(['a', 'b']), RangeError, /unknownValue 1 is the code of class "b"/);
  throwsError(() => new LabelEncoder({ unknown: 'use-encoded-value' }), TypeError, /needs unknownValue/);
  throwsError(() => new LabelEncoder({ unknown: 'use-encoded-value', unknownValue: NaN }), TypeError, /32-bit integer; got NaN/);
  throwsError(() => new LabelEncoder({ unknownValue: -1 }), TypeError, /only used with unknown: 'use-encoded-value'/);
  throwsError(() => new LabelEncoder({ unknown: 'ignore' as never }), RangeError, /'error' or 'use-encoded-value', got "ignore"/);
});

test('LabelEncoder: bad labels', () => {
  const e = new LabelEncoder();
  throwsError(() => e.transform(['a']), Error, /not fitted yet/);
  throwsError(() => e.classes, Error, /not fitted yet/);
  throwsError(() => e.fit([]), RangeError, /labels is empty/);
  throwsError(() => e.fit(['a', 2]), TypeError, /all strings or all numbers: labels\[0\] is a string, labels\[1\] is 2/);
  throwsError(() => e.fit([1, NaN]), RangeError, /labels\[1\] is NaN; numeric labels must be finite/);
  throwsError(() => e.fit(['a', null as never]), TypeError, /labels\[1\] must be a string or a number, got null/);
  throwsError(() => e.fit('abc' as never), TypeError, /labels must be an array/);
  assert.equal([...e.fit(Int32Array.from([3, 1, 3]) as ArrayLike<number>).classes], [1, 3]);
});

test('LabelEncoder JSON round trip and corrupt states', () => {
  const e = new LabelEncoder({ unknown: 'use-encoded-value', unknownValue: -1 }).fit(['\u{1F600}', 'b', '\uff21']);
  const j: JSONObject = e.toJSON();
  const back = LabelEncoder.fromJSON(JSON.parse(JSON.stringify(j)));
  assert.equal(back.toJSON(), e.toJSON());
  assert.equal(Array.from(back.transform(['\uff21', '?'])), [1, -1]);
  const s = e.toJSON();
  throwsError(() => LabelEncoder.fromJSON([]), TypeError, /expected an object/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, type: 'X' }), TypeError, /type must be "LabelEncoder"/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, version: 2 }), RangeError, /newer/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, classes: ['b', 'a'] }), TypeError, /sorted and distinct: classes\[0\] "b" is not before classes\[1\] "a"/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, classes: [1, 1] }), TypeError, /sorted and distinct/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, classes: ['a', 1] }), TypeError, /classes\[1\] is 1/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, classes: [] }), TypeError, /non-empty/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, config: { unknown: 'error', unknownValue: 3 } }), TypeError, /bad config/);
  throwsError(() => LabelEncoder.fromJSON({ ...s, config: { unknown: 'use-encoded-value', unknownValue: 0 } }), RangeError, /unknownValue 0 is the code/);
});

test('ColumnEncoder matches OrdinalEncoder on the categorical columns and parses the rest', () => {
  const o = fx.ordinal;
  const e = new ColumnEncoder({ categorical: o.categorical });
  const t = e.fitTransform(o.records);
  assert.equal(t.shape, [4, 4]);
  assert.equal(e.categories.map((c) => [...c]), o.categories);
  for (let i = 0; i < 4; i++) {
    const row = Array.from(t.data.subarray(i * 4, i * 4 + 4));
    assert.equal([row[0], row[1], row[3]], o.codes[i]);
  }
  assert.equal([0, 1, 2, 3].map((i) => t.data[i * 4 + 2]), [0, 12.5, -3, 1000]);
  // By name, from a CSV header; numbers as numbers; whitespace around a number is allowed.
  const [header, ...records] = parseCsv('protocol_type,service,src_bytes,flag\ntcp,http, 7 ,SF\nudp,ftp,2e-1,S0\n');
  const n = new ColumnEncoder({ columns: header, categorical: ['flag', 'protocol_type', 1] });
  assert.equal(n.categorical, [0, 1, 3]);
  assert.equal(Array.from(n.fitTransform(records).data), [0, 1, 7, 1, 1, 0, 0.2, 0].map(Math.fround));
  assert.equal(Array.from(n.transform([['udp', 'http', 5, 'SF']]).data), [1, 1, 5, 1]);
  // No categorical columns: a plain numeric CSV.
  assert.equal(Array.from(new ColumnEncoder().fitTransform([['1', '-2.5'], ['.5', '3.']]).data), [1, -2.5, 0.5, 3]);
});

test('ColumnEncoder: unknown categories, bad cells named by row and column', () => {
  const e = new ColumnEncoder({ columns: KDD_HEADER, categorical: [0, 1, 3] }).fit(fx.ordinal.records);
  throwsError(() => e.transform([['sctp', 'http', '1', 'SF']]), RangeError, /rows\[0\]\[0\] is "sctp", a category of column 0 \(protocol_type\) that fit never saw/);
  throwsError(() => e.transform([['tcp', 'http', '1', 'SF'], ['tcp', 'http', 'abc', 'SF']]), RangeError, /rows\[1\]\[2\] is "abc", not a number \(column 2 \(src_bytes\) is numeric\)/);
  for (const v of ['', ' ', '0x10', '1e', 'inf', 'NaN', '1,5']) {
    throwsError(() => e.transform([['tcp', 'http', v, 'SF']]), RangeError, /rows\[0\]\[2\] is .*, not a number/);
  }
  throwsError(() => e.transform([['tcp', 'http', '1e40', 'SF']]), RangeError, /rows\[0\]\[2\] is "1e40", beyond the float32 range/);
  throwsError(() => e.transform([['tcp', 'http', NaN, 'SF']]), TypeError, /rows\[0\]\[2\] \(column 2 \(src_bytes\)\) is NaN/);
  throwsError(() => e.transform([['tcp', 'http', null as never, 'SF']]), TypeError, /is null/);
  throwsError(() => e.transform([['tcp', 'http', '1']]), RangeError, /rows\[0\] has 3 columns, expected 4/);
  throwsError(() => e.transform([]), RangeError, /rows is empty/);
  throwsError(() => new ColumnEncoder().fit([['1'], ['x']]), RangeError, /ColumnEncoder.fit: rows\[1\]\[0\] is "x", not a number/);
  throwsError(() => new ColumnEncoder({ categorical: [0] }).fit([['a'], [2]]), TypeError, /column 0 mixes strings and numbers/);
  throwsError(() => new ColumnEncoder().transform([['1']]), Error, /not fitted yet/);
  const u = new ColumnEncoder({ columns: KDD_HEADER, categorical: [0, 1, 3], unknown: 'use-encoded-value', unknownValue: -1 }).fit(fx.ordinal.records);
  assert.equal(Array.from(u.transform([['sctp', 'http', '1', 'XX']]).data), [-1, 3, 1, -1]);
  throwsError(() => new ColumnEncoder({ categorical: [0], unknown: 'use-encoded-value', unknownValue: 0 }).fit([['a']]), RangeError, /column 0: .*unknownValue 0 is the code/);
});

test('ColumnEncoder: bad options', () => {
  throwsError(() => new ColumnEncoder({ categorical: ['flag'] }), TypeError, /names column "flag", which needs the columns option/);
  throwsError(() => new ColumnEncoder({ columns: KDD_HEADER, categorical: ['label'] }), RangeError, /"label", not one of columns/);
  throwsError(() => new ColumnEncoder({ columns: KDD_HEADER, categorical: [4] }), RangeError, /categorical column 4 must be an index in \[0, 4\)/);
  throwsError(() => new ColumnEncoder({ categorical: [-1] }), RangeError, /categorical column -1/);
  throwsError(() => new ColumnEncoder({ columns: KDD_HEADER, categorical: [3, 'flag'] }), RangeError, /names column 3 \(flag\) twice/);
  throwsError(() => new ColumnEncoder({ columns: ['a', 'a'] }), RangeError, /columns names "a" twice/);
  throwsError(() => new ColumnEncoder({ columns: [] }), TypeError, /non-empty array of column names/);
  throwsError(() => new ColumnEncoder({ categorical: 'flag' as never }), TypeError, /categorical must be an array/);
  throwsError(() => new ColumnEncoder({ categorical: [5] }).fit([['1', '2']]), RangeError, /categorical column 5 is outside the 2 columns/);
  throwsError(() => new ColumnEncoder({ columns: ['a', 'b'] }).fit([['1']]), RangeError, /rows\[0\] has 1 columns, expected 2/);
});

test('ColumnEncoder JSON round trip and corrupt states', () => {
  const e = new ColumnEncoder({ columns: KDD_HEADER, categorical: ['service', 'protocol_type', 'flag'], unknown: 'use-encoded-value', unknownValue: -1 })
    .fit(fx.ordinal.records);
  const j: JSONObject = e.toJSON();
  const back = ColumnEncoder.fromJSON(JSON.parse(JSON.stringify(j)));
  assert.equal(back.toJSON(), e.toJSON());
  const rows = [...fx.ordinal.records, ['sctp', 'ssh', '4', 'SF']];
  assert.equal(back.transform(rows).data, e.transform(rows).data);
  const s = e.toJSON();
  throwsError(() => ColumnEncoder.fromJSON({ ...s, nColumns: 5 }), TypeError, /bad nColumns 5/);
  throwsError(() => ColumnEncoder.fromJSON({ ...s, categories: s.categories.slice(1) }), TypeError, /one class list per categorical column \(3\)/);
  throwsError(() => ColumnEncoder.fromJSON({ ...s, categories: [['b', 'a'], ...s.categories.slice(1)] }), TypeError, /categories\[0\]: .*sorted and distinct/);
  throwsError(() => ColumnEncoder.fromJSON({ ...s, config: { ...s.config, categorical: ['nope'] } }), TypeError, /bad config: .*"nope"/);
  throwsError(() => ColumnEncoder.fromJSON({ ...s, version: 3 }), RangeError, /newer/);
  throwsError(() => ColumnEncoder.fromJSON('x'), TypeError, /expected an object/);
  throwsError(() => new ColumnEncoder().toJSON(), Error, /not fitted yet/);
});

test('JSON lines: blank lines skipped, CRLF and BOM, bad line named, gzip files; the async form reads the same', async () => {
  assert.equal(parseJsonLines('\ufeff{"a":1}\r\n\n  \n[2,3]\r\n"x"'), [{ a: 1 }, [2, 3], 'x']);
  assert.equal(parseJsonLines(''), []);
  throwsError(() => parseJsonLines('{"a":1}\n\n{"a":', 'web.jsonl'), DataFormatError, /^web.jsonl:3: not a JSON value/);
  throwsError(() => parseJsonLines(3 as never), TypeError, /text must be a string/);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-jsonl-'));
  try {
    const text = '{"method":"GET","breach":0}\n\n{"method":"POST","breach":1}\n';
    writeFileSync(join(dir, 'a.jsonl'), text);
    writeFileSync(join(dir, 'a.jsonl.gz'), gzipSync(text));
    const want = [{ method: 'GET', breach: 0 }, { method: 'POST', breach: 1 }];
    assert.equal(readJsonLines(join(dir, 'a.jsonl')), want);
    assert.equal(readJsonLines(join(dir, 'a.jsonl.gz')), want);
    writeFileSync(join(dir, 'bad.jsonl.gz'), gzipSync('{}\n{oops}\n'));
    const err = (() => {
      try {
        readJsonLines(join(dir, 'bad.jsonl.gz'));
      } catch (e) {
        return e as DataFormatError;
      }
      return null;
    })();
    assert.ok(err instanceof DataFormatError);
    assert.is(err.line, 2);
    assert.is(err.source, join(dir, 'bad.jsonl.gz'));
    throwsError(() => readJsonLines(join(dir, 'missing.jsonl')), Error, /readJsonLines: file not found/);
    assert.equal(await readJsonLinesAsync(join(dir, 'a.jsonl.gz')), want);
    for (const name of ['bad.jsonl.gz', 'missing.jsonl']) await rejectsLikeSync(() => readJsonLines(join(dir, name)), readJsonLinesAsync(join(dir, name)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
