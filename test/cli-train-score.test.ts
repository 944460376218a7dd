// `vigil train` and `vigil score` run in-process on small synthetic CSVs: a round trip through a
// model file in a temp dir, and every bad input the issue lists, each with its exit code and a
// message (never a stack trace).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../ts/cli.ts';
import { CustomDataError, loadScoringModel, readCustomCsv, readCustomCsvAsync, scoreTexts } from '../ts/experiments/custom.ts';
import { defaultRecipe } from '../ts/experiments/index.ts';
import type { Recipe } from '../ts/experiments/index.ts';
import { DataFormatError, Dense, Embedding, LSTM, Sequential } from '../ts/index.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { rng } from './helpers/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-train-'));
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

// Small and quick: the default recipe's LSTM(128) would spend seconds on what this learns at once.
const tiny: Recipe = {
  describe: 'tiny test model',
  layers: (V) => [new Embedding(V, 8), new LSTM(16), new Dense(1, { activation: 'sigmoid' })],
  optimizer: { name: 'adam', learningRate: 2e-2 },
  epochs: 8,
  batchSize: 32,
  validationSplit: 0.1,
  earlyStopping: { monitor: 'val_loss', patience: 2, restoreBestWeights: true },
  tokenizer: { oovToken: '<oov>' },
};
const run = (argv: string[], c = capture()) => main(argv, c.io, { recipe: tiny }).then((code) => ({ code, ...c }));

// Texts of letters a-j; positives hold a '#' somewhere. Quoted with commas, quotes and newlines
// inside, so the RFC 4180 reader matters. Sorted by label, as users' files often are.
function synthetic(n: number, seed: number, labels: [string, string] = ['0', '1']): string {
  const r = rng(seed);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const pos = i >= n / 2;
    const len = 4 + Math.floor(r() * 16);
    let s = '';
    for (let k = 0; k < len; k++) s += 'abcdefghij'[Math.floor(r() * 10)];
    if (pos) {
      const at = Math.floor(r() * s.length);
      s = `${s.slice(0, at)}#${s.slice(at)}`;
    }
    if (i % 7 === 0) s += ',"x"\nend';
    rows.push(`${i},"${s.replace(/"/g, '""')}",${labels[pos ? 1 : 0]}`);
  }
  return `id,text,label\n${rows.join('\n')}\n`;
}

const trainCsv = path('train.csv');
const testCsv = path('test.csv');
const model = path('model.vigil');
writeFileSync(trainCsv, synthetic(300, 1));
writeFileSync(testCsv, synthetic(100, 2));

test('train then score: a round trip through a model file', async () => {
  const t = await run(['train', '--data', trainCsv, '--text-column', 'text', '--label-column', 'label', '--model', model,
    '--maxlen', '40', '--seed', '3', '--json', path('train.json')]);
  assert.is(t.code, 0, t.err());
  assert.match(t.out(), /trained on 270 rows, metrics on 30 validation rows/);
  assert.match(t.out(), /ROC AUC\s+\d\.\d{4}/);
  assert.ok(t.out().includes(`model saved to ${model}`));
  const tj = JSON.parse(readFileSync(path('train.json'), 'utf8'));
  assert.ok(tj.metrics.accuracy > 0.9, `validation accuracy ${tj.metrics.accuracy}`);

  const s = await run(['score', '--model', model, '--data', testCsv, '--text-column', 'text', '--label-column', 'label',
    '--out', path('scores.csv'), '--json', path('score.json')]);
  assert.is(s.code, 0, s.err());
  const lines = readFileSync(path('scores.csv'), 'utf8').trimEnd().split('\n');
  assert.is(lines[0], 'row,score');
  assert.is(lines.length, 101);
  lines.slice(1).forEach((l, i) => {
    const [row, score] = l.split(',');
    assert.is(Number(row), i);
    assert.ok(Number(score) >= 0 && Number(score) <= 1, l);
  });
  assert.match(s.out(), /accuracy\s+\d\.\d{4}/);
  const j = JSON.parse(readFileSync(path('score.json'), 'utf8'));
  assert.equal(Object.keys(j.metrics).sort(), ['accuracy', 'f1', 'prAuc', 'precision', 'recall', 'rocAuc']);
  assert.ok(j.metrics.accuracy > 0.9 && j.metrics.rocAuc > 0.95, JSON.stringify(j.metrics));
  assert.is(j.rows, 100);

  // The same scores as the library computes from the file, and to stdout without --out.
  const m = await loadScoringModel(model);
  const d = readCustomCsv(testCsv, { textColumn: 'text' });
  const direct = await scoreTexts(m, d.texts);
  const again = await run(['score', '--model', model, '--data', testCsv]);
  assert.is(again.code, 0, again.err());
  const fromStdout = again.out().trimEnd().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
  fromStdout.forEach((v, i) => assert.is(Math.fround(v), direct[i], `row ${i}`));
  assert.match(again.err(), /scored 100 rows/);
});

test('without the test hook, train uses the default recipe (and its OOV tokenizer)', async () => {
  const c = capture();
  const code = await main(['train', '--data', trainCsv, '--text-column', 'text', '--label-column', 'label',
    '--model', path('default.vigil'), '--maxlen', '40', '--epochs', '2'], c.io);
  assert.is(code, 0, c.err());
  assert.ok(c.out().includes(defaultRecipe.describe));
  const m = await loadScoringModel(path('default.vigil'));
  assert.is(m.preprocessing.extra?.recipe, defaultRecipe.describe);
  assert.is(m.preprocessing.tokenizer!.oovIndex, 1);
  assert.equal(m.preprocessing.pad, { maxlen: 40, padding: 'pre', truncating: 'pre', value: 0 });
  assert.is(m.model.layers.length, defaultRecipe.layers(10).length);
});

test('columns by 0-based index, no header, tab delimiter; the model defaults the text column', async () => {
  const tsv = synthetic(300, 4).split('\n').slice(1).join('\n').replace(/,(?=\d+$)/gm, '\t').replace(/^(\d+),/gm, '$1\t');
  writeFileSync(path('train.tsv'), tsv);
  const t = await run(['train', '--data', path('train.tsv'), '--no-header', '--delimiter', 'tab', '--text-column', '1',
    '--label-column', '2', '--model', path('idx.vigil'), '--maxlen', '40', '--epochs', '2']);
  assert.is(t.code, 0, t.err());
  assert.match(t.err(), /epoch 2/);
  // Trained by header name "text": score finds the column without --text-column.
  const s = await run(['score', '--model', model, '--data', testCsv]);
  assert.is(s.code, 0, s.err());
});

test('--positive maps two label values; the mapping is printed, saved and used by score', async () => {
  writeFileSync(path('named.csv'), synthetic(300, 5, ['ham', 'spam']));
  const t = await run(['train', '--data', path('named.csv'), '--text-column', 'text', '--label-column', 'label',
    '--positive', 'spam', '--model', path('named.vigil'), '--maxlen', '40', '--epochs', '2']);
  assert.is(t.code, 0, t.err());
  assert.match(t.err(), /labels: "ham" -> 0, "spam" -> 1/);
  const m = await loadScoringModel(path('named.vigil'));
  assert.equal(m.labelNames, ['ham', 'spam']);
  const s = await run(['score', '--model', path('named.vigil'), '--data', path('named.csv'), '--label-column', 'label', '--out', path('n.csv')]);
  assert.is(s.code, 0, s.err());
  assert.match(s.out(), /ROC AUC/);
  // 0/1 labels are not what this model was trained with.
  const bad = await run(['score', '--model', path('named.vigil'), '--data', testCsv, '--label-column', 'label']);
  assert.is(bad.code, 1);
  assert.match(bad.err(), /label "0" in 'label' is neither of the model's labels "ham" \(0\) and "spam" \(1\)/);
});

test('empty strings, unseen characters and over-long strings score as documented', async () => {
  const m = await loadScoringModel(model);
  const tok = m.preprocessing.tokenizer!;
  assert.is(tok.oovIndex, 1, 'an OOV index, as the default recipe has');
  // An unseen character encodes as the OOV index, not as nothing.
  const enc = m.preprocessing.encode(['ab€', '']);
  const toks = enc as { tokens: { data: Int32Array }; lengths: Int32Array };
  assert.equal([...toks.lengths], [3, 0]);
  assert.is(toks.tokens.data[39], 1);
  assert.ok(toks.tokens.data.slice(40).every((v) => v === 0), 'the empty string is all padding');
  // Truncating 'pre' keeps the last maxlen (40) characters: a long prefix changes nothing.
  const tail = 'abc#defghijabcdefghij';
  const scores = await scoreTexts(m, ['', '', 'zzzz€€€', 'j'.repeat(500) + 'a'.repeat(19) + tail, 'a'.repeat(19) + tail, '']);
  assert.is(scores[0], scores[1]);
  assert.is(scores[0], scores[5]);
  assert.ok(Number.isFinite(scores[2]));
  assert.is(scores[3], scores[4]);
  // Through the CLI: an empty text field scores like any other row.
  writeFileSync(path('odd.csv'), 'text\n""\n"€€€ never seen"\nabc\n');
  const s = await run(['score', '--model', model, '--data', path('odd.csv')]);
  assert.is(s.code, 0, s.err());
  assert.is(s.out().trimEnd().split('\n').length, 4);
  assert.ok(s.out().startsWith(`row,score\n0,`));
  assert.is(Math.fround(Number(s.out().split('\n')[1].split(',')[1])), scores[0]);
});

const usage: Array<[string, string[], RegExp]> = [
  ['train without --data', ['train', '--text-column', 'text', '--label-column', 'label', '--model', 'm'], /--data FILE is required/],
  ['train without --model', ['train', '--data', 'x.csv', '--text-column', 'text', '--label-column', 'label'], /--model FILE is required/],
  ['train without --label-column', ['train', '--data', 'x.csv', '--text-column', 'text', '--model', 'm'], /--label-column is required/],
  ['the same column twice', ['train', '--data', 'x.csv', '--text-column', '1', '--label-column', '1', '--model', 'm'], /must be different columns/],
  ['--maxlen 0', ['train', '--data', 'x', '--text-column', 'a', '--label-column', 'b', '--model', 'm', '--maxlen', '0'], /--maxlen must be an integer >= 1/],
  ['--validation-split 1', ['train', '--data', 'x', '--text-column', 'a', '--label-column', 'b', '--model', 'm', '--validation-split', '1'], /--validation-split must be a number in \[0, 1\)/],
  ['--delimiter ab', ['train', '--data', 'x', '--text-column', 'a', '--label-column', 'b', '--model', 'm', '--delimiter', 'ab'], /--delimiter must be one character/],
  ['--header and --no-header', ['train', '--data', 'x', '--text-column', 'a', '--label-column', 'b', '--model', 'm', '--header', '--no-header'], /not both/],
  ['an unknown train flag', ['train', '--bogus'], /Unknown option '--bogus'/],
  ['score without --model', ['score', '--data', 'x.csv'], /--model FILE is required/],
  // Needs the model's kind (a detector reads --columns instead), so it loads the trained text model.
  ['score --no-header without --text-column', ['score', '--model', model, '--data', testCsv, '--no-header'], /--text-column is required with --no-header/],
  ['score --on-error sometimes', ['score', '--model', 'm', '--input', 'x', '--on-error', 'sometimes'], /--on-error must be stop or skip/],
  ['score --format xml', ['score', '--model', 'm', '--input', 'x', '--format', 'xml'], /--format must be csv, jsonl, lines/],
  ['score --input and --data', ['score', '--model', 'm', '--input', 'x', '--data', 'y'], /--input or --data/],
];
for (const [what, argv, pattern] of usage) {
  test(`${what} is a usage error (exit 2, the command's usage)`, async () => {
    const r = await run(argv);
    assert.is(r.code, 2);
    assert.match(r.err(), pattern);
    assert.match(r.err(), new RegExp(`usage: vigil ${argv[0]}`));
    assert.is(r.out(), '');
  });
}

test('train --help and score --help print their usage; vigil --help lists all three commands', async () => {
  for (const cmd of ['train', 'score']) {
    const r = await run([cmd, '--help']);
    assert.is(r.code, 0);
    assert.match(r.out(), new RegExp(`usage: vigil ${cmd}`));
  }
  const all = await run(['--help']);
  assert.match(all.out(), /usage: vigil eval[\s\S]*usage: vigil train[\s\S]*usage: vigil score[\s\S]*exit status/);
});

// [what, file content, extra flags, expected message]; each exits 1 with one line, no stack.
const badData: Array<[string, string | null, string[], RegExp]> = [
  ['a missing file', null, [], /--data .*bad-a-missing-file\.csv: no such file/],
  ['an empty file', '', [], /--data .*bad-an-empty-file\.csv: is empty/],
  ['a header only', 'text,label\n', [], /no data rows/],
  ['a missing text column', 'body,label\nabc,1\n', [], /--text-column 'text' is not a column of the header \("body", "label"\)/],
  ['an out-of-range index', 'text,label\nabc,1\n', ['--text-column', '5'], /--text-column 5 is out of range: the header has 2 column/],
  ['a short row', 'text,label\nabc,1\nabd\n', [], /:3: 1 field\(s\), too few to hold the label column 'label'/],
  ['labels that are not 0/1', 'text,label\nabc,1\nabd,2\n', [], /:3: label "2" in 'label' is not 0 or 1.*--positive/],
  ['an empty label', 'text,label\nabc,1\nabd,\n', [], /:3: label "" in 'label' is not 0 or 1/],
  ['three label values with --positive', 'text,label\na,x\nb,y\nc,z\n', ['--positive', 'x'], /holds 3 distinct labels \("x", "y", "z"\); exactly 2/],
  ['a --positive value never seen', 'text,label\na,x\nb,y\n', ['--positive', 'q'], /--positive "q" never occurs/],
  ['one class only', 'text,label\na,1\nb,1\nc,1\n', [], /training needs both classes, but every label is 1/],
  ['a class with one row', 'text,label\na,1\nb,0\nc,0\nd,0\n', [], /class 1 has only 1 row.*--validation-split 0/],
  ['an unclosed quote', 'text,label\n"abc,1\n', [], /:2: quoted field is never closed/],
];
for (const [what, content, flags, pattern] of badData) {
  test(`train on ${what}: exit 1 with a clear message`, async () => {
    const file = path(`bad-${what.replace(/\W+/g, '-')}.csv`);
    if (content !== null) writeFileSync(file, content);
    const r = await run(['train', '--data', file, '--text-column', 'text', '--label-column', 'label', '--model', path('never.vigil'), ...flags]);
    assert.is(r.code, 1, r.err());
    assert.match(r.err(), pattern);
    assert.ok(!/\n\s+at /.test(r.err()), `no stack trace: ${r.err()}`);
    assert.is(r.err().trim().split('\n').length, 1, r.err());
  });
}

test('score rejects a corrupted file, a wrong model type and a model without a tokenizer (exit 1)', async () => {
  const bytes = readFileSync(model);
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length >> 1] ^= 0xff;
  writeFileSync(path('corrupt.vigil'), flipped);
  writeFileSync(path('short.vigil'), bytes.subarray(0, 100));
  writeFileSync(path('notmodel.vigil'), 'text,label\n');
  // Another model type: the same bytes with modelType changed and the checksum redone.
  const { decodeModelFile, encodeModelFile } = await import('../ts/models/serialize.ts');
  const dec = decodeModelFile(bytes, 'x');
  const other = encodeModelFile({ ...dec.header, modelType: 'isolation-forest' }, dec.header.weights.map((w, i) => ({ name: w.name, shape: w.shape, value: dec.weights[i] })));
  writeFileSync(path('other.vigil'), other);
  const bare = new Sequential([new Embedding(10, 4), new LSTM(4), new Dense(1, { activation: 'sigmoid' })]);
  bare.build([null]);
  await bare.save(path('bare.vigil'));
  const cases: Array<[string, RegExp]> = [
    ['corrupt.vigil', /checksum mismatch.*corrupted/],
    ['short.vigil', /truncated/],
    ['notmodel.vigil', /not a vigil model file/],
    // Neither 'sequential' nor a registered detector type: the detector loader names the ones it knows.
    ['other.vigil', /'isolation-forest' is not a detector type this vigil knows \(known: .*IsolationForest/],
    ['bare.vigil', /saved without a tokenizer/],
    ['missing.vigil', /no such file/],
  ];
  for (const [name, pattern] of cases) {
    const r = await run(['score', '--model', path(name), '--data', testCsv, '--text-column', 'text']);
    assert.is(r.code, 1, `${name}: ${r.err()}`);
    assert.match(r.err(), pattern);
    assert.ok(r.err().startsWith(`vigil: --model ${path(name)}: `), r.err());
    assert.is(r.err().trim().split('\n').length, 1, r.err());
  }
  await rejectsError(loadScoringModel(path('other.vigil')), Error, /wrong|isolation-forest/);
});

test('score: a missing text column and unusable labels exit 1', async () => {
  const r = await run(['score', '--model', model, '--data', testCsv, '--text-column', 'body']);
  assert.is(r.code, 1);
  assert.match(r.err(), /test\.csv:1: text column 'body' is not a column of the header/);
  writeFileSync(path('badlabels.csv'), 'text,label\nabc,yes\n');
  const b = await run(['score', '--model', model, '--data', path('badlabels.csv'), '--label-column', 'label']);
  assert.is(b.code, 1);
  assert.match(b.err(), /label "yes" in 'label' is not 0 or 1/);
  // One class only: accuracy is defined, the AUCs are not.
  writeFileSync(path('oneclass.csv'), 'text,label\nabc,1\nab#c,1\n');
  const o = await run(['score', '--model', model, '--data', path('oneclass.csv'), '--label-column', 'label', '--json', path('one.json')]);
  assert.is(o.code, 0, o.err());
  assert.match(o.err(), /ROC AUC\s+n\/a \(one class only\)/);
  assert.is(JSON.parse(readFileSync(path('one.json'), 'utf8')).metrics.rocAuc, null);
});

test('readCustomCsv: names win over indices, a duplicated name is ambiguous', () => {
  writeFileSync(path('dup.csv'), '1,text,text\n0,a,b\n');
  throwsError(() => readCustomCsv(path('dup.csv'), { textColumn: 'text' }), CustomDataError, /names 2 columns/);
  // "1" is the header name of column 0, not index 1.
  assert.equal(readCustomCsv(path('dup.csv'), { textColumn: '1' }).texts, ['0']);
});

test('readCustomCsvAsync: the sync form\'s data, and its errors', async () => {
  writeFileSync(path('twin.csv'), 'text,label\n"a,b",spam\nc,ham\n"d\ne",spam\n');
  const opts = { textColumn: 'text', labelColumn: 'label', positive: 'spam' };
  assert.equal(await readCustomCsvAsync(path('twin.csv'), opts), readCustomCsv(path('twin.csv'), opts));
  const cases: Array<[string, Parameters<typeof readCustomCsv>[1]]> = [
    ['twin.csv', { textColumn: 'text', labelColumn: 'label' }], ['twin.csv', { textColumn: 'nope' }], ['missing.csv', { textColumn: 'text' }],
    ['dup.csv', { textColumn: 'text' }],
  ];
  for (const [name, o] of cases) await rejectsLikeSync(() => readCustomCsv(path(name), o), readCustomCsvAsync(path(name), o));
  writeFileSync(path('open.csv'), 'text\n"abc\n');
  assert.instance(await rejectsLikeSync(() => readCustomCsv(path('open.csv'), { textColumn: 'text' }), readCustomCsvAsync(path('open.csv'), { textColumn: 'text' })), DataFormatError);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
