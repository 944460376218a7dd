// Streamed scoring (model.scoreStream, ts/models/stream/pipeline.ts): the same scores as the batch
// API for both model kinds and every input format, bad rows stopped or skipped by line number,
// empty inputs, results in input order when batches finish out of order, and no read-ahead
// beyond the in-flight bound when the consumer is slow.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import {
  CharTokenizer, ColumnEncoder, DataFormatError, Dense, Embedding, IsolationForest, LSTM, LstmForecaster, Preprocessing, Sequential,
} from '../ts/index.ts';
import { streamScores } from '../ts/models/stream/pipeline.ts';
import type { ScoredBatch, StreamModel } from '../ts/models/stream/pipeline.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { rng } from './helpers/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-stream-'));
const path = (name: string) => join(dir, name);

const F = 4;
const r = rng(21);
const table: number[][] = Array.from({ length: 300 }, () => Array.from({ length: F }, () => Math.fround(r() * 4 - 2)));
const det = await new IsolationForest({ nEstimators: 30, seed: 3 }).fit(table.slice(0, 200));
const want = await det.scoreSamples(table);
const num = (v: number) => String(v); // shortest round trip of the float32 value held as a double

async function collect(it: AsyncIterable<ScoredBatch>): Promise<{ batches: ScoredBatch[]; rows: number[]; scores: number[]; ids: string[]; preds: number[]; lines: number[] }> {
  const batches: ScoredBatch[] = [];
  for await (const b of it) batches.push(b);
  return {
    batches,
    rows: batches.flatMap((b) => [...b.rows]),
    lines: batches.flatMap((b) => [...b.lines]),
    scores: batches.flatMap((b) => [...b.scores]),
    ids: batches.flatMap((b) => b.ids ?? []),
    preds: batches.flatMap((b) => (b.predictions ? [...b.predictions] : [])),
  };
}

const csv = `id,${Array.from({ length: F }, (_, j) => `f${j}`).join(',')}\n${table.map((row, i) => `"r,${i}",${row.map(num).join(',')}`).join('\r\n')}\n`;
writeFileSync(path('t.csv'), csv);
writeFileSync(path('t.csv.gz'), gzipSync(csv));

test('detector: CSV (plain and gzip, ids carried, many batches) gives scoreSamples\' scores and predictions for every row', async () => {
  for (const file of ['t.csv', 't.csv.gz']) {
    const got = await collect(det.scoreStream(path(file), { idColumn: 'id', batchSize: 7 }));
    assert.is(got.batches.length, Math.ceil(300 / 7));
    assert.equal(got.rows, table.map((_, i) => i));
    assert.equal(got.lines, table.map((_, i) => i + 2));
    assert.equal(got.ids, table.map((_, i) => `r,${i}`));
    assert.equal(got.scores, [...want], file);
    assert.equal(got.preds, [...want].map((s) => (s > det.threshold ? 1 : 0)));
    assert.ok(got.preds.some((p) => p === 1) && got.preds.some((p) => p === 0), 'both predictions drawn');
  }
});

test('detector: JSON lines of objects (id, label, features by key) and of arrays; feature columns chosen', async () => {
  const objects = table.map((row, i) => JSON.stringify({ id: i, y: i % 2, ...Object.fromEntries(row.map((v, j) => [`f${j}`, v])) })).join('\n');
  const got = await collect(det.scoreStream([Buffer.from(objects)], { format: 'jsonl', idColumn: 'id', labelColumn: 'y' }));
  assert.equal(got.scores, [...want]);
  assert.equal(got.ids, table.map((_, i) => String(i)));
  assert.equal(got.batches.flatMap((b) => [...b.labels!]), table.map((_, i) => i % 2));
  const arrays = table.map((row) => JSON.stringify(['skip me', ...row])).join('\n');
  const picked = await collect(det.scoreStream([arrays], { format: 'jsonl', columns: [1, 2, 3, 4] }));
  assert.equal(picked.scores, [...want]);
  // CSV columns by name, in the detector's order, out of the file's order.
  const shuffled = `f3,f1,x,f0,f2\n${table.map((row) => `${num(row[3])},${num(row[1])},9,${num(row[0])},${num(row[2])}`).join('\n')}`;
  assert.equal((await collect(det.scoreStream([shuffled], { columns: ['f0', 'f1', 'f2', 'f3'] }))).scores, [...want]);
  await rejectsError(collect(det.scoreStream([shuffled])), RangeError, /the input has 5 feature column\(s\) \(f3, f1, x, f0, f2\), the detector was fitted on 4/);
});

test('detector with a ColumnEncoder: categorical cells encoded as fit saw them; an unseen category is a row error', async () => {
  const cats = ['tcp', 'udp', 'icmp'];
  const rows = table.map((row, i) => [cats[i % 3], ...row.slice(1).map(num)]);
  const enc = new ColumnEncoder({ categorical: [0] });
  const x = enc.fitTransform(rows);
  const d = await new IsolationForest({ nEstimators: 20, seed: 1 }).fit(x);
  const text = `proto,a,b,c\n${rows.map((r) => r.join(',')).join('\n')}\n`;
  const got = await collect(d.scoreStream([text], { encoder: enc, batchSize: 64 }));
  assert.equal(got.scores, [...(await d.scoreSamples(x))]);
  const bad = text.replace('\nudp,', '\nsctp,');
  await rejectsError(collect(d.scoreStream([bad], { encoder: enc, source: 'enc.csv' })), DataFormatError, /^enc\.csv:3: cell 0 is "sctp", a category of column 0 that fit never saw/);
});

// A small text model with random weights: what matters is that streaming gives predict's numbers.
const texts = Array.from({ length: 150 }, (_, i) => {
  let s = '';
  for (let k = 0; k < 1 + (i % 13); k++) s += 'abc,"\n xyz'[Math.floor(r() * 10)];
  return s;
});
const tokenizer = new CharTokenizer({ oovToken: '<oov>' }).fitOnTexts(texts);
const model = new Sequential([new Embedding(tokenizer.vocabSize, 4), new LSTM(5), new Dense(1, { activation: 'sigmoid' })], { seed: 2 });
model.build([null]);
const pre = new Preprocessing({ tokenizer, pad: { maxlen: 10 } });
const textWant = (await model.predict(pre.encode(texts))).data;

test('Sequential: CSV (quoted newlines), JSON lines (a field or the whole line) and text lines give predict\'s scores', async () => {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const csvText = `n,text\n${texts.map((t, i) => `${i},${q(t)}`).join('\n')}\n`;
  const got = await collect(model.scoreStream([csvText], { preprocessing: pre, textColumn: 'text', batchSize: 16 }));
  assert.equal(got.scores, [...textWant]);
  assert.equal(got.rows, texts.map((_, i) => i));
  assert.ok(got.lines[got.lines.length - 1] > texts.length + 1, 'lines count the newlines inside quotes');
  assert.is(got.batches[0].predictions, null);
  const jsonl = texts.map((t) => JSON.stringify({ t })).join('\n');
  assert.equal((await collect(model.scoreStream([jsonl], { format: 'jsonl', preprocessing: pre.toJSON(), textColumn: 't' }))).scores, [...textWant]);
  const whole = await collect(model.scoreStream([jsonl], { format: 'jsonl', preprocessing: pre }));
  assert.equal(whole.scores, [...(await model.predict(pre.encode(texts.map((t) => JSON.stringify({ t }))))).data]);
  const plain = texts.filter((t) => !/[\r\n]/.test(t) && t !== '');
  const lines = await collect(model.scoreStream([plain.join('\n')], { format: 'lines', preprocessing: pre, batchSize: 9 }));
  assert.equal(lines.scores, [...(await model.predict(pre.encode(plain))).data]);
});

const numbers = (rows: string[]) => `a,b,c,d\n${rows.join('\n')}\n`;
const good = (i: number) => table[i].map(num).join(',');

test('a malformed row stops the run by default: every row before it is yielded, then its line is thrown', async () => {
  const rows = table.slice(0, 40).map((_, i) => good(i));
  const cases: Array<[number, string, RegExp]> = [
    [17, '1,2,zz,4', /^s\.csv:19: column c: "zz" is not a number$/],
    [23, '1,2,3', /^s\.csv:25: 3 field\(s\), the header has 4$/],
    [31, '"1"x,2,3,4', /^s\.csv:33: unexpected "x" after a closing quote$/],
    [5, '1,2,3,1e999', /^s\.csv:7: column d: "1e999" is not finite in float32$/],
  ];
  for (const [at, bad, pattern] of cases) {
    const text = numbers(rows.map((row, i) => (i === at ? bad : row)));
    const seen: ScoredBatch[] = [];
    await rejectsError(async () => {
      for await (const b of det.scoreStream([text], { batchSize: 8, source: 's.csv' })) seen.push(b);
    }, DataFormatError, pattern);
    assert.equal(seen.flatMap((b) => [...b.rows]), Array.from({ length: at }, (_, i) => i), `rows before ${at}`);
    assert.equal(seen.flatMap((b) => [...b.scores]), [...want.subarray(0, at)]);
  }
});

test("onError 'skip': bad rows are reported with their lines and row numbers, counted, and leave gaps", async () => {
  const rows = table.slice(0, 50).map((_, i) => good(i));
  rows[3] = 'x,1,2,3';
  rows[4] = '"unterminated"?,1,2,3';
  rows[20] = '1,2';
  rows[49] = '1,2,3,';
  const skipped: Array<[number, string]> = [];
  const progress: number[] = [];
  const got = await collect(det.scoreStream([numbers(rows)], {
    onError: 'skip', batchSize: 6, source: 'k.csv',
    onSkip: (e, row) => skipped.push([row, e.message]), onProgress: (p) => progress.push(p.skipped),
  }));
  assert.equal(skipped.map(([row]) => row), [3, 4, 20, 49]);
  assert.equal(skipped.map(([, m]) => m.split(':')[1]), ['5', '6', '22', '51']);
  const kept = Array.from({ length: 50 }, (_, i) => i).filter((i) => ![3, 4, 20, 49].includes(i));
  assert.equal(got.rows, kept);
  assert.equal(got.scores, kept.map((i) => want[i]));
  assert.is(progress[progress.length - 1], 4);
});

test('empty inputs and a header alone give no results and no error', async () => {
  for (const input of [[''], [], ['a,b,c,d\n'], [gzipSync('')], ['\n\n']]) {
    assert.equal((await collect(det.scoreStream(input as Array<string | Buffer>, {}))).batches, []);
  }
  assert.equal((await collect(model.scoreStream(['  \n\n'], { format: 'jsonl', preprocessing: pre }))).batches, []);
  writeFileSync(path('empty.jsonl.gz'), gzipSync(''));
  assert.equal((await collect(model.scoreStream(path('empty.jsonl.gz'), { preprocessing: pre, textColumn: 't' }))).batches, []);
});

/** A fake model over single-number rows: score = the number; `delay(k)` ticks for batch k. */
function fakeModel(delay: (k: number) => number, log: { inFlight: number; maxInFlight: number; finished: number[] }): StreamModel<number[]> {
  let k = 0;
  return {
    payload: { kind: 'features', columns: null },
    batchSize: 10,
    prepare: (payload) => ({ input: (payload as string[][]).map((c) => Number(c[0])) }),
    async score(x) {
      const mine = k++;
      log.inFlight++;
      log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
      for (let t = delay(mine); t > 0; t--) await tick();
      log.inFlight--;
      log.finished.push(mine);
      return { scores: Float32Array.from(x), predictions: null };
    },
  };
}

test('results come out in input order when batches finish out of order', async () => {
  const log = { inFlight: 0, maxInFlight: 0, finished: [] as number[] };
  const delays = rng(9);
  const text = `v\n${Array.from({ length: 400 }, (_, i) => i).join('\n')}\n`;
  const got = await collect(streamScores('test', [text], fakeModel(() => Math.floor(delays() * 30), log), { maxInFlight: 5, batchSize: 7 }));
  assert.equal(got.scores, Array.from({ length: 400 }, (_, i) => i));
  assert.equal(got.rows, Array.from({ length: 400 }, (_, i) => i));
  assert.is(log.maxInFlight, 5);
  assert.not.equal(log.finished, [...log.finished].sort((a, b) => a - b), 'batches did finish out of order');
});

test('backpressure: a slow consumer stops the reading; in-flight batches stay within maxInFlight', async () => {
  let pulled = 0;
  async function* source(): AsyncGenerator<string> {
    yield 'v\n';
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield `${Array.from({ length: 10 }, (_, k) => 10 * i + k).join('\n')}\n`;
    }
  }
  const log = { inFlight: 0, maxInFlight: 0, finished: [] as number[] };
  const it = streamScores('test', source(), fakeModel(() => 1, log), { maxInFlight: 3, batchSize: 10 });
  let consumed = 0;
  for (let step = 0; step < 50; step++) {
    const next = await it.next();
    assert.ok(!next.done);
    consumed += next.value.scores.length;
    // The consumer dawdles: nothing may be read meanwhile beyond the in-flight bound.
    for (let t = 0; t < 20; t++) await tick();
    assert.ok(pulled * 10 - consumed <= 10 * (3 + 1), `read ${pulled * 10} rows, consumed ${consumed}`);
  }
  assert.ok(log.maxInFlight <= 3);
  await it.return(undefined);
  assert.ok(pulled < 60, `stopped reading after the consumer left (${pulled} pieces of 1000)`);
});

test('breaking out of the loop closes the input; an abort rejects with the signal\'s reason', async () => {
  let closed = false;
  async function* source(): AsyncGenerator<string> {
    try {
      yield 'v\n';
      for (let i = 0; ; i++) yield `${i}\n`;
    } finally {
      closed = true;
    }
  }
  const log = { inFlight: 0, maxInFlight: 0, finished: [] as number[] };
  for await (const b of streamScores('test', source(), fakeModel(() => 0, log), {})) {
    assert.is(b.scores.length, 10);
    break;
  }
  assert.ok(closed);
  const ac = new AbortController();
  let seen = 0;
  await rejectsError(async () => {
    for await (const _ of det.scoreStream(path('t.csv'), { idColumn: 'id', batchSize: 5, signal: ac.signal })) {
      seen++;
      ac.abort();
    }
  }, DOMException, /aborted/);
  assert.is(seen, 1, 'the abort takes effect at the next batch (the file is one piece of 60 batches)');
});

test('bad options and unusable models are refused when scoreStream is called, naming the argument', async () => {
  throwsError(() => det.scoreStream(path('t.csv'), { batchSize: 0 }), RangeError, /IsolationForest\.scoreStream: batchSize must be an integer in \[1, 2\^24\], got 0/);
  throwsError(() => det.scoreStream(path('t.csv'), { onError: 'ignore' as 'skip' }), RangeError, /onError must be 'stop' or 'skip'/);
  throwsError(() => det.scoreStream(path('t.csv'), { format: 'xml' as 'csv' }), RangeError, /format must be 'csv', 'jsonl', 'lines'/);
  throwsError(() => det.scoreStream(42 as unknown as string), TypeError, /input must be a file path, a Readable or an iterable/);
  throwsError(() => det.scoreStream(path('t.csv'), { columns: [] }), TypeError, /columns must be a non-empty array/);
  throwsError(() => new IsolationForest().scoreStream(path('t.csv')), Error, /not fitted yet/);
  throwsError(() => model.scoreStream(path('t.csv'), {} as never), TypeError, /options\.preprocessing is required/);
  throwsError(() => model.scoreStream(path('t.csv'), { preprocessing: new Preprocessing() }), TypeError, /has no tokenizer/);
  const series = await new LstmForecaster({ window: 4, units: 4, epochs: 1 }).fit(Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)));
  throwsError(() => series.scoreStream(path('t.csv')), TypeError, /LstmForecaster scores whole series, not independent rows/);
  await rejectsError(collect(model.scoreStream(path('t.csv'), { preprocessing: pre })), TypeError, /a CSV input needs textColumn/);
  await rejectsError(collect(model.scoreStream(path('t.csv'), { preprocessing: pre, textColumn: 'nope' })), DataFormatError, /t\.csv:1: text column 'nope' is not a column of the header/);
  await rejectsError(collect(det.scoreStream(path('missing.csv'))), Error, /ENOENT/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
