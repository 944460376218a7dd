// The input side of streamed scoring (ts/models/stream/source.ts, records.ts) and the incremental
// CSV parser it shares with csvRecords: text cut into pieces anywhere gives the same records,
// errors and line numbers as the whole text; gzip and UTF-8 survive any cut.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import { CsvParser, csvRecords } from '../ts/models/preprocessing/csv.ts';
import { parseNumberCell } from '../ts/models/preprocessing/encoders.ts';
import { inputFormatFor, inputText } from '../ts/models/stream/source.ts';
import { readRecords } from '../ts/models/stream/records.ts';
import type { InputFormat } from '../ts/models/stream/source.ts';
import { rejectsError } from './helpers/errors.ts';
import { rng } from './helpers/random.ts';

/** Cuts `s` into pieces of random length (1..max), seeded. */
function pieces<T extends string | Uint8Array>(s: T, seed: number, max: number): T[] {
  const r = rng(seed);
  const out: T[] = [];
  for (let i = 0; i < s.length;) {
    const k = 1 + Math.floor(r() * max);
    out.push(s.slice(i, i + k) as T);
    i += k;
  }
  return out;
}

/** csvRecords' records, or its error, as one comparable string. */
function whole(text: string): string {
  try {
    return JSON.stringify([...csvRecords(text)].map((r) => [r.line, r.fields]));
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}

function pushed(parts: string[]): string {
  const p = new CsvParser();
  const out: unknown[] = [];
  let error: string | null = null;
  const sink = {
    record: (fields: string[], line: number) => void out.push([line, fields]),
    malformed: (line: number, message: string) => void (error ??= `error csv:${line}: ${message}`),
  };
  for (const s of parts) p.push(s, sink);
  p.end(sink);
  return error ?? JSON.stringify(out);
}

test('CsvParser: text pushed in pieces of any size reads as the whole text (records, lines, first error)', () => {
  const alphabet = ['a', 'bc', ',', '"', '""', '\n', '\r', '\r\n', ' ', 'é'];
  const r = rng(11);
  let errors = 0;
  for (let t = 0; t < 3000; t++) {
    let text = '';
    const n = Math.floor(r() * 30);
    for (let k = 0; k < n; k++) text += alphabet[Math.floor(r() * alphabet.length)];
    const want = whole(text);
    if (want.startsWith('error')) errors++;
    assert.is(pushed([text]), want, JSON.stringify(text));
    assert.is(pushed(pieces(text, t, 1)), want, `one character at a time: ${JSON.stringify(text)}`);
    assert.is(pushed(pieces(text, t, 7)), want, `random pieces: ${JSON.stringify(text)}`);
  }
  assert.ok(errors > 100 && errors < 2900, `both outcomes drawn (${errors} errors)`);
});

test('CsvParser: a malformed record is reported and skipped, the next line reads on', () => {
  const got: unknown[] = [];
  const p = new CsvParser();
  const sink = {
    record: (fields: string[], line: number) => void got.push([line, fields]),
    malformed: (line: number, message: string) => void got.push([line, message]),
  };
  p.push('a,b\n"x"y,1\n"multi\nline",2\nc,"d"\n"open', sink);
  p.end(sink);
  assert.equal(got, [
    [1, ['a', 'b']],
    [2, 'unexpected "y" after a closing quote'],
    [3, ['multi\nline', '2']],
    [5, ['c', 'd']],
    [6, 'quoted field is never closed'],
  ]);
});

async function* from<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}

async function textOf(parts: Array<Uint8Array | string>, source = 'input'): Promise<string> {
  let s = '';
  for await (const t of inputText(from(parts), { source })) s += t;
  return s;
}

test('inputText: UTF-8 split inside a character, a BOM, and gzip from its magic bytes with pieces of one byte', async () => {
  const text = '\ufeffid,text\n1,"naïve ☃ 𝄞 x"\n2,plain\n';
  const bytes = Buffer.from(text, 'utf8');
  assert.is(await textOf(pieces(new Uint8Array(bytes), 3, 2)), text.slice(1));
  const gz = new Uint8Array(gzipSync(bytes));
  assert.is(await textOf(pieces(gz, 4, 1)), text.slice(1), 'gzip detected though the first piece is one byte');
  assert.is(await textOf(pieces(gz, 5, 300)), text.slice(1));
  // Two gzip members (cat a.gz b.gz) are one stream.
  assert.is(await textOf([new Uint8Array(Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]))]), 'a\nb\n');
  assert.is(await textOf([]), '');
  assert.is(await textOf(['already ', 'text']), 'already text');
});

test('inputText: a broken gzip and a .gz name on plain bytes are errors naming the source', async () => {
  const gz = gzipSync(Buffer.from('x,y\n'.repeat(1000)));
  await rejectsError(textOf([new Uint8Array(gz.subarray(0, gz.length >> 1))], 'half.csv.gz'), Error, /half\.csv\.gz looks gzipped but does not decompress/);
  await rejectsError(textOf([new Uint8Array(Buffer.from('plain,text\n'))], 'named.csv.gz'), Error, /named\.csv\.gz looks gzipped/);
  await rejectsError(textOf([42 as unknown as string]), TypeError, /must yield Buffers, Uint8Arrays or strings, got number/);
});

async function records(format: InputFormat, text: string, seed: number) {
  const out: Array<[number, unknown]> = [];
  for await (const items of readRecords(from(pieces(text, seed, 5)), { format, source: 'f' })) {
    // JSON.parse's own wording varies between Node versions: keep vigil's part of the message.
    for (const it of items) out.push('error' in it ? [it.line, `! ${it.error.message.replace(/ \(.*$/s, '')}`] : [it.line, it.value]);
  }
  return out;
}

test('readRecords: CSV, JSON lines and text lines with their line numbers; empty lines are not records', async () => {
  assert.equal(await records('csv', 'h\n"a\nb"\n\r\nc\n"x"y\nd', 1), [[1, ['h']], [2, ['a\nb']], [5, ['c']], [6, '! f:6: unexpected "y" after a closing quote'], [7, ['d']]]);
  assert.equal(await records('jsonl', '{"a":1}\r\n  \n[1,2]\nnot json\n"s"', 2),
    [[1, { a: 1 }], [3, [1, 2]], [4, '! f:4: not a JSON value'], [5, 's']]);
  assert.equal(await records('lines', 'first\r\n\nthird \nlast', 3), [[1, 'first'], [3, 'third '], [4, 'last']]);
  assert.equal(await records('csv', '', 4), []);
});

test('readRecords: an unclosed quote or a line without end stops at maxRecordChars instead of buffering the input', async () => {
  const long = `a,b\n"${'x'.repeat(5000)}`;
  await rejectsError(async () => {
    for await (const _ of readRecords(from(pieces(long, 1, 100)), { format: 'csv', source: 'q.csv', maxRecordChars: 1000 })) void _;
  }, Error, /q\.csv:2: a record longer than 1000 characters \(a quote left open\?\)/);
  await rejectsError(async () => {
    for await (const _ of readRecords(from(['y'.repeat(3000)]), { format: 'lines', source: 'l.txt', maxRecordChars: 1000 })) void _;
  }, Error, /l\.txt:1: a line longer than 1000 characters/);
});

test('inputFormatFor: formats from file names, .gz ignored', () => {
  assert.is(inputFormatFor('a/b.JSONL.gz'), 'jsonl');
  assert.is(inputFormatFor('x.ndjson'), 'jsonl');
  assert.is(inputFormatFor('x.log.gz'), 'lines');
  assert.is(inputFormatFor('x.tsv'), 'csv');
  assert.is(inputFormatFor('x.dat'), null);
});

test('parseNumberCell: its fast path agrees with the decimal pattern (Python float) on drawn strings', () => {
  const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
  const al = ['0', '1', '7', '.', '+', '-', 'e', 'x', 'X', 'o', 'b', ' ', '\t', 'I', 'n', '_'];
  const r = rng(5);
  for (let t = 0; t < 50_000; t++) {
    let v = '';
    const n = Math.floor(r() * 7);
    for (let k = 0; k < n; k++) v += al[Math.floor(r() * al.length)];
    assert.ok(Object.is(parseNumberCell(v), NUMBER.test(v) ? Number(v) : NaN), JSON.stringify(v));
  }
  for (const v of ['0x10', ' 0x10', '0b1', '0o7', '', ' ', 'Infinity', '1e999', '-1e999', '1_0']) {
    assert.ok(Object.is(parseNumberCell(v), NUMBER.test(v) ? Number(v) : NaN), v);
  }
});

test.run();
