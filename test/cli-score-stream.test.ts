// `vigil score` streaming end to end, in-process on small files: a detector and a text model, CSV
// (gzipped), JSON lines and text lines in, CSV and JSON lines out, malformed rows stopped (exit 1,
// no output file left behind) or skipped (reported and counted).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { main } from '../ts/cli.ts';
import { CharTokenizer, Dense, Embedding, IsolationForest, LSTM, Preprocessing, Sequential } from '../ts/index.ts';
import { rng } from './helpers/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-stream-'));
const path = (name: string) => join(dir, name);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}
const run = async (argv: string[]) => {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
};

const r = rng(8);
const N = 120;
const table = Array.from({ length: N }, () => [r() * 2 - 1, r() * 2 - 1, r() * 6 - 3]);
const det = await new IsolationForest({ nEstimators: 25, seed: 4 }).fit(table);
await det.save(path('det.vigil'));
const rowsCsv = table.map((row, i) => `id-${i},${row.map((v) => v.toFixed(5)).join(',')},${i % 2}`);
const csvText = (rows: string[]) => `id,a,b,c,label\n${rows.join('\n')}\n`;
writeFileSync(path('rows.csv.gz'), gzipSync(csvText(rowsCsv)));
const want = await det.scoreSamples(table.map((row) => row.map((v) => Number(v.toFixed(5)))));

test('a detector scores a gzipped CSV: row, id, score, prediction in input order; JSON lines out for .jsonl', async () => {
  const s = await run(['score', '--model', path('det.vigil'), '--input', path('rows.csv.gz'), '--id-column', 'id', '--label-column', 'label',
    '--output', path('out.csv'), '--batch-size', '16', '--json', path('s.json')]);
  assert.is(s.code, 0, s.err);
  const lines = readFileSync(path('out.csv'), 'utf8').trimEnd().split('\n');
  assert.is(lines[0], 'row,id,score,prediction');
  assert.is(lines.length, N + 1);
  lines.slice(1).forEach((l, i) => {
    const [row, id, score, pred] = l.split(',');
    assert.is(Number(row), i);
    assert.is(id, `id-${i}`);
    assert.is(Math.fround(Number(score)), want[i], `row ${i}`);
    assert.is(Number(pred), want[i] > det.threshold ? 1 : 0);
  });
  assert.match(s.out, new RegExp(`scored ${N} rows of .*rows\\.csv\\.gz in .* s \\(\\d+ rows/s\\); scores in .*out\\.csv`));
  assert.match(s.out, /ROC AUC\s+\d\.\d{4}/, 'labels give metrics at the detector\'s threshold');
  const j = JSON.parse(readFileSync(path('s.json'), 'utf8'));
  assert.is(j.rows, N);
  assert.is(j.skipped, 0);

  const js = await run(['score', '--model', path('det.vigil'), '--input', path('rows.csv.gz'), '--columns', 'a,b,c', '--output', path('out.jsonl')]);
  assert.is(js.code, 0, js.err);
  const objs = readFileSync(path('out.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.is(objs.length, N);
  objs.forEach((o, i) => {
    assert.equal(Object.keys(o), ['row', 'score', 'prediction']);
    assert.is(o.row, i);
    assert.is(Math.fround(o.score), want[i]);
  });
});

test('a malformed row stops the run (exit 1, its line named, no output file); --on-error skip reports and counts it', async () => {
  const bad = [...rowsCsv];
  bad[10] = 'id-10,0.1,oops,0.3,0';
  bad[57] = 'id-57,0.1,0.2';
  writeFileSync(path('bad.csv'), csvText(bad));
  const stop = await run(['score', '--model', path('det.vigil'), '--input', path('bad.csv'), '--id-column', 'id', '--label-column', 'label',
    '--output', path('never.csv')]);
  assert.is(stop.code, 1);
  assert.match(stop.err, /bad\.csv:12: column b: "oops" is not a number/);
  assert.is(stop.err.trim().split('\n').length, 1, stop.err);
  assert.ok(!readdirSync(dir).some((f) => f.includes('never.csv')), 'neither the output nor its temporary file is left');

  const skip = await run(['score', '--model', path('det.vigil'), '--input', path('bad.csv'), '--id-column', 'id', '--label-column', 'label',
    '--on-error', 'skip', '--output', path('kept.csv'), '--json', path('k.json'), '--batch-size', '8']);
  assert.is(skip.code, 0, skip.err);
  const reported = skip.err.trim().split('\n');
  assert.is(reported.length, 2);
  assert.match(reported[0], /^vigil: skipped .*bad\.csv:12: column b: "oops" is not a number$/);
  assert.match(reported[1], /^vigil: skipped .*bad\.csv:59: 3 field\(s\), the header has 5$/);
  assert.match(skip.out, /; skipped 2 malformed row\(s\)/);
  const kept = readFileSync(path('kept.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
  assert.equal(kept, Array.from({ length: N }, (_, i) => i).filter((i) => i !== 10 && i !== 57));
  assert.is(JSON.parse(readFileSync(path('k.json'), 'utf8')).skipped, 2);
});

const texts = Array.from({ length: 60 }, (_, i) => 'GET /shop?item='.concat(String(i * 7919 % 1000), i % 5 === 0 ? "' OR 1=1" : ''));
const tokenizer = new CharTokenizer({ oovToken: '<oov>' }).fitOnTexts(texts);
const model = new Sequential([new Embedding(tokenizer.vocabSize, 4), new LSTM(6), new Dense(1, { activation: 'sigmoid' })], { seed: 5 });
model.build([null]);
const pre = new Preprocessing({ tokenizer, pad: { maxlen: 32 } });
await model.save(path('text.vigil'), { preprocessing: pre });
const textWant = (await model.predict(pre.encode(texts))).data;

test('a text model scores JSON lines (a field) and text lines to stdout; each kind refuses the other\'s column flag', async () => {
  writeFileSync(path('log.jsonl'), texts.map((t, i) => JSON.stringify({ at: i, request: t })).join('\n'));
  writeFileSync(path('log.txt'), `${texts.join('\r\n')}\r\n`);
  for (const [file, flags] of [['log.jsonl', ['--text-column', 'request', '--id-column', 'at']], ['log.txt', []]] as const) {
    const s = await run(['score', '--model', path('text.vigil'), '--input', path(file), ...flags, '--batch-size', '7']);
    assert.is(s.code, 0, s.err);
    const lines = s.out.trimEnd().split('\n');
    assert.is(lines[0], file === 'log.jsonl' ? 'row,id,score' : 'row,score');
    assert.equal(lines.slice(1).map((l) => Math.fround(Number(l.split(',').at(-1)))), [...textWant], file);
    assert.match(s.err, new RegExp(`scored ${texts.length} rows`));
  }
  const a = await run(['score', '--model', path('det.vigil'), '--input', path('rows.csv.gz'), '--text-column', 'a']);
  assert.is(a.code, 2);
  assert.match(a.err, /--text-column is for text models; a detector reads --columns/);
  const b = await run(['score', '--model', path('text.vigil'), '--input', path('log.txt'), '--columns', 'a']);
  assert.is(b.code, 2);
  assert.match(b.err, /--columns is for detectors/);
});

test('--output onto a FIFO writes into it instead of renaming a file over it; a missing directory fails at once', async () => {
  const fifo = path('scores.fifo');
  execFileSync('mkfifo', [fifo]);
  const received = new Promise<string>((ok, bad) => {
    const chunks: Buffer[] = [];
    createReadStream(fifo).on('data', (c) => chunks.push(c as Buffer)).on('end', () => ok(Buffer.concat(chunks).toString('utf8'))).on('error', bad);
  });
  const s = await run(['score', '--model', path('det.vigil'), '--input', path('rows.csv.gz'), '--columns', 'a,b,c', '--output', fifo]);
  assert.is(s.code, 0, s.err);
  assert.is((await received).trimEnd().split('\n').length, N + 1);
  assert.ok(statSync(fifo).isFIFO(), 'still a FIFO');
  const m = await run(['score', '--model', path('det.vigil'), '--input', path('rows.csv.gz'), '--columns', 'a,b,c', '--output', path('no/such/dir/out.csv')]);
  // Checked before the model is even read: a usage error (exit 2) naming the flag and the folder.
  assert.is(m.code, 2);
  assert.match(m.err, /^vigil: --output .*no\/such\/dir\/out\.csv: the folder .*no\/such\/dir does not exist/);
});

test('Ctrl-C during a long --output run removes the temporary file and leaves the old output as it was', async () => {
  // The CLI as a process, reading rows from a FIFO this test keeps open, so the run is still under
  // way (its temporary output file open) when the signal comes.
  const d = mkdtempSync(join(dir, 'sigint-'));
  const fifo = join(d, 'rows.csv');
  execFileSync('mkfifo', [fifo]);
  const out = join(d, 'out.csv');
  writeFileSync(out, 'old scores\n');
  const cli = fileURLToPath(new URL('../ts/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'score', '--model', path('det.vigil'), '--input', fifo, '--columns', 'a,b,c',
    '--output', out, '--batch-size', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += String(c); });
  const exited = new Promise<NodeJS.Signals | number | null>((ok) => child.on('exit', (code, signal) => ok(signal ?? code)));
  const writer = await open(fifo, 'w');
  try {
    await writer.write(csvText(rowsCsv.slice(0, 5)).replace(/\n$/, ''));
    const temps = () => readdirSync(d).filter((f) => f.endsWith('.tmp'));
    for (let i = 0; i < 600 && temps().length === 0; i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.is(temps().length, 1, `the run never opened its temporary file: ${stderr}`);
    child.kill('SIGINT');
    assert.is(await exited, 'SIGINT', stderr);
    assert.equal(temps(), []);
    assert.is(readFileSync(out, 'utf8'), 'old scores\n');
  } finally {
    await writer.close().catch(() => undefined);
    child.kill('SIGKILL');
  }
});

test('vigil score | head: the reader leaving ends the run quietly with exit 0, as a Unix filter does', async () => {
  // Enough rows that the scores are still being written when the reader has gone.
  const many = Array.from({ length: 20_000 }, (_, i) => rowsCsv[i % N]);
  writeFileSync(path('many.csv'), csvText(many));
  const cli = fileURLToPath(new URL('../ts/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'score', '--model', path('det.vigil'), '--input', path('many.csv'), '--columns', 'a,b,c',
    '--batch-size', '64'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += String(c); });
  const exited = new Promise<NodeJS.Signals | number | null>((ok) => child.on('exit', (code, signal) => ok(signal ?? code)));
  const first = await new Promise<string>((ok) => child.stdout.once('data', (c) => ok(String(c))));
  child.stdout.destroy();
  assert.match(first, /^row,score,prediction\n/);
  assert.is(await exited, 0, stderr);
  assert.not.match(stderr, /EPIPE/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
