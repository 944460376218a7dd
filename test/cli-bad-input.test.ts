// Every `vigil` command against the mistakes users make: an output path in a missing folder, that
// is a folder or that names one of the command's inputs (a usage error, exit 2, before any
// training), bad numbers in every numeric flag, blank column flags, unknown flags and missing values
// (exit 2), and input files that are missing, folders, empty or of the wrong kind (exit 1). Each is
// one line naming the flag and the path, never a stack trace. All of them fail before any work, so
// the commands run on tiny or absent data.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../ts/cli.ts';
import { writeNpy } from '../ts/models/preprocessing/npy.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-bad-'));
const path = (name: string) => join(dir, name);

/** A test title's name of the command: `score (tensor)`, `train --detector`, `eval kdd-iforest`. */
function command(argv: string[]): string {
  if (argv[0] === 'eval' || argv[0] === 'nab') return `${argv[0]} ${argv[1]}`;
  if (argv.includes('--detector')) return 'train --detector';
  if (argv.some((a) => a.endsWith('.npy'))) return `${argv[0]} (tensor)`;
  return argv[0]!;
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null };
  const code = await main(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

// Small valid inputs: were a check missing, the command would start its work on them (and, for
// the bundled-data experiments, train for minutes), and the test would fail on the exit code.
const textCsv = path('texts.csv');
writeFileSync(textCsv, `text,label\n${Array.from({ length: 40 }, (_, i) => `${'abc'.repeat(1 + (i % 4))}${i % 2 ? '#' : ''},${i % 2}`).join('\n')}\n`);
const tableCsv = path('table.csv');
writeFileSync(tableCsv, `a,b\n${Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 11}`).join('\n')}\n`);
const folder = path('a-folder');
mkdirSync(folder);
// A folder named like a tensor file, for the tensor command's --output (whose extension is checked first).
const tensorFolder = path('a-folder.json');
mkdirSync(tensorFolder);
writeFileSync(path('empty.csv'), '');
// Enough of a model file for the check of its kind: the magic bytes.
writeFileSync(path('model.vigil'), Buffer.concat([Buffer.from('VIGILMDL'), Buffer.alloc(64)]));
writeFileSync(path('binary.csv'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x14, 0x00]));
writeFileSync(path('utf16.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n1,2\n', 'utf16le')]));
writeFileSync(path('x.npy'), writeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(4) }));

const TRAIN = ['train', '--data', textCsv, '--text-column', 'text', '--label-column', 'label', '--model', path('m.vigil')];
const DETECTOR = ['train', '--detector', 'rbm', '--data', tableCsv, '--model', path('d.vigil')];
const SCORE = ['score', '--model', path('model.vigil'), '--input', tableCsv];
const TENSOR = ['score', '--model', path('model.vigil'), '--input', path('x.npy'), '--output', path('y.npy')];

/** [command line, the output flag to append]: every flag that names a file to write. */
const outputs: Array<[string[], string]> = [
  [['eval', 'payload-lstm', '--limit', '8', '--epochs', '1'], '--json'],
  [['eval', 'kdd-iforest'], '--json'],
  [['eval', 'creditcard-tcn', '--epochs', '1'], '--json'],
  [['eval', 'nab-tcn', '--epochs', '1'], '--json'],
  [TRAIN.slice(0, -2), '--model'],
  [[...TRAIN, '--epochs', '1'], '--json'],
  [DETECTOR.slice(0, -2), '--model'],
  [DETECTOR.slice(0, -2), '--out'],
  [[...DETECTOR, '--epochs', '1'], '--json'],
  [SCORE, '--output'],
  [SCORE, '--json'],
  [TENSOR.slice(0, -2), '--output'],
  [['nab', 'score', '--results', folder], '--json'],
  [['export', '--model', path('model.vigil')], '--out'],
  [['import', path('x.npy')], '--out'],
];

for (const [argv, flag] of outputs) {
  test(`vigil ${command(argv)} ${flag}: a missing folder or a folder is a usage error before any work`, async () => {
    const missing = path('no-such-folder/out.json');
    const a = await run([...argv, flag, missing]);
    assert.is(a.code, 2, a.err);
    assert.ok(a.err.startsWith(`vigil: ${flag} ${missing}: the folder ${path('no-such-folder')} does not exist\n`), a.err);
    assert.is(a.out, '');
    const taken = argv[0] === 'score' && argv.includes(path('x.npy')) ? tensorFolder : folder;
    const b = await run([...argv, flag, taken]);
    assert.is(b.code, 2, b.err);
    assert.ok(b.err.startsWith(`vigil: ${flag} ${taken} is a folder; give a file name\n`), b.err);
    const c = await run([...argv, flag, join(textCsv, 'out.json')]);
    assert.is(c.code, 2, c.err);
    assert.ok(c.err.startsWith(`vigil: ${flag} ${join(textCsv, 'out.json')}: ${textCsv} is not a folder\n`), c.err);
    assert.not.ok(existsSync(path('no-such-folder')));
  });
}

test('vigil eval nab-lstm --results/--plots: a file is a usage error, as is a missing parent folder', async () => {
  for (const flag of ['--results', '--plots']) {
    const a = await run(['eval', 'nab-lstm', '--epochs', '1', flag, textCsv]);
    assert.is(a.code, 2, a.err);
    assert.ok(a.err.startsWith(`vigil: ${flag} ${textCsv} is a file, not a folder\n`), a.err);
    const b = await run(['eval', 'nab-lstm', '--epochs', '1', flag, path('no-such-folder/out')]);
    assert.is(b.code, 2, b.err);
    assert.match(b.err, /^vigil: --(results|plots) \S+no-such-folder\/out: the folder \S+no-such-folder does not exist\n/);
  }
});

const NOT_INTEGERS = ['', 'abc', '1.5', '-1', 'NaN', 'Infinity', '1e3', '0x10', ' 7', '99999999999999999999'];
const NOT_NUMBERS = ['', 'abc', 'NaN', 'Infinity', '-Infinity', '1,5'];

/** [command line, flag, bad values]: every numeric flag of every command. */
const numeric: Array<[string[], string, string[]]> = [
  [['eval', 'payload-lstm'], '--epochs', [...NOT_INTEGERS, '0', '100001']],
  [['eval', 'payload-lstm'], '--seed', [...NOT_INTEGERS, '2147483648']],
  [['eval', 'payload-lstm'], '--limit', [...NOT_INTEGERS, '3', '2147483648']],
  [['eval', 'kdd-iforest'], '--seed', NOT_INTEGERS],
  [['eval', 'kdd-iforest'], '--seeds', [...NOT_INTEGERS, '0', '1001']],
  [['eval', 'creditcard-tcn'], '--seed', NOT_INTEGERS],
  [['eval', 'creditcard-tcn'], '--seeds', [...NOT_INTEGERS, '0']],
  [['eval', 'creditcard-tcn'], '--epochs', [...NOT_INTEGERS, '0']],
  [['eval', 'nab-lstm'], '--seed', NOT_INTEGERS],
  [['eval', 'nab-lstm'], '--epochs', [...NOT_INTEGERS, '0']],
  [TRAIN, '--epochs', [...NOT_INTEGERS, '0']],
  [TRAIN, '--seed', NOT_INTEGERS],
  [TRAIN, '--maxlen', [...NOT_INTEGERS, '0']],
  [TRAIN, '--validation-split', [...NOT_NUMBERS, '1', '-0.1']],
  [DETECTOR, '--epochs', [...NOT_INTEGERS, '0']],
  [DETECTOR, '--seed', NOT_INTEGERS],
  [DETECTOR, '--contamination', [...NOT_NUMBERS, '0', '0.6', '-0.1']],
  [['train', '--detector', 'iforest', '--data', tableCsv, '--model', path('d.vigil')], '--extension-level', NOT_INTEGERS],
  [SCORE, '--batch-size', [...NOT_INTEGERS, '0']],
  [TENSOR, '--batch-size', [...NOT_INTEGERS, '0']],
  [[...TENSOR.slice(0, 2), path('m.onnx'), ...TENSOR.slice(3)], '--threads', [...NOT_INTEGERS, '0', '1025']],
  [['nab', 'score', '--results', folder], '--threshold', NOT_NUMBERS],
  [['nab', 'score', '--results', folder], '--probation', [...NOT_NUMBERS, '1', '-0.5']],
];

for (const [argv, flag, values] of numeric) {
  test(`vigil ${command(argv)} ${flag}: ${values.length} bad values are usage errors naming the flag`, async () => {
    for (const v of values) {
      // --flag=value: a value starting with '-' would otherwise be read as the next flag.
      const r = await run([...argv, `${flag}=${v}`]);
      assert.is(r.code, 2, `${flag}=${v}: ${r.err}`);
      assert.ok(r.err.startsWith(`vigil: ${flag} must be `), `${flag}=${v}: ${r.err}`);
      assert.ok(r.err.includes(JSON.stringify(v)), `${flag}=${v} names the value: ${r.err}`);
      assert.is(r.out, '');
    }
  });
}

test('blank column flags and blank entries of --columns are usage errors naming the flag', async () => {
  const cases: Array<[string[], string]> = [
    [[...TRAIN.slice(0, 3), '--text-column', ' ', ...TRAIN.slice(5)], '--text-column'],
    [[...TRAIN.slice(0, 5), '--label-column', '', ...TRAIN.slice(7)], '--label-column'],
    [[...DETECTOR, '--label-column', ''], '--label-column'],
    [[...DETECTOR, '--id-column', ' '], '--id-column'],
    [[...SCORE, '--text-column', ''], '--text-column'],
    [[...SCORE, '--label-column', ''], '--label-column'],
    [[...SCORE, '--id-column', ''], '--id-column'],
  ];
  for (const [argv, flag] of cases) {
    const r = await run(argv);
    assert.is(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.ok(r.err.startsWith(`vigil: ${flag} needs a column name or a 0-based index, got "`), r.err);
  }
  for (const argv of [[...DETECTOR, '--columns', 'a,,b'], [...SCORE, '--columns', ' ']]) {
    const r = await run(argv);
    assert.is(r.code, 2, r.err);
    assert.ok(r.err.startsWith('vigil: --columns needs comma-separated column names or indices, got "'), r.err);
  }
});

test('vigil eval takes its experiment from the positional, not from a flag\'s value that names another one', async () => {
  for (const other of ['kdd-iforest', 'creditcard-tcn', 'nab-lstm']) {
    // Reaching payload-lstm's own checks (its --data) shows the routing; nothing is written.
    const r = await run(['eval', 'payload-lstm', '--json', other, '--data', path('nowhere.csv')]);
    assert.is(r.code, 1, r.err);
    assert.is(r.err, `vigil: --data ${path('nowhere.csv')}: no such file\n`);
    const t = await run(['eval', '--seeds', '2', other === 'nab-lstm' ? 'kdd-rbm' : other, '--data', path('nowhere.csv')]);
    assert.is(t.code, 1, t.err);
    assert.is(t.err, `vigil: --data ${path('nowhere.csv')}: no such file\n`);
  }
});

test('vigil eval on a limit so small that the test rows hold one class fails before training, saying why', async () => {
  const r = await run(['eval', 'payload-lstm', '--limit', '4', '--epochs', '1']);
  assert.is(r.code, 1, r.err);
  assert.match(r.err, /^vigil: runExperiment: the 1 test row\(s\) hold only class [01]; the metrics need both classes \(a larger limit, or test data with both\)\n$/);
  assert.is(r.out, '');
});

test('--seed with --seeds may not run past the largest seed', async () => {
  for (const exp of ['kdd-iforest', 'creditcard-tcn']) {
    const r = await run(['eval', exp, '--seed', '2147483647', '--seeds', '2']);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, /^vigil: --seed 2147483647 with --seeds 2 runs seeds past 2147483647\n/);
  }
});

/** [command line, a flag that takes a value]: for the unknown-flag and missing-value cases. */
const commands: Array<[string[], string]> = [
  [['eval', 'payload-lstm'], '--json'], [['eval', 'kdd-iforest'], '--json'], [['eval', 'creditcard-tcn'], '--json'],
  [['eval', 'nab-lstm'], '--json'], [TRAIN, '--json'], [DETECTOR, '--json'], [SCORE, '--json'], [TENSOR, '--batch-size'],
  [['nab', 'score', '--results', folder], '--json'], [['export', '--model', path('model.vigil')], '--out'], [['import', path('x.npy')], '--out'],
];

for (const [argv, flag] of commands) {
  test(`vigil ${command(argv)}: an unknown flag and a flag without its value are usage errors`, async () => {
    const u = await run([...argv, '--bogus', 'x']);
    assert.is(u.code, 2, u.err);
    assert.match(u.err, /^vigil: Unknown option '--bogus'/);
    const m = await run([...argv, flag]);
    assert.is(m.code, 2, m.err);
    assert.ok(m.err.startsWith(`vigil: Option '${flag} <value>' argument missing`), m.err);
    // A forgotten value followed by another flag: the flag is not taken as the value.
    const f = await run([...argv, flag, '--help']);
    assert.is(f.code, 2, f.err);
    assert.ok(f.err.startsWith(`vigil: Option '${flag}' argument is ambiguous`), f.err);
  });
}

/** [command line without the file, flag, what the flag reads]: every flag that names a file or folder to read. */
const inputs: Array<[string[], string, 'text' | 'binary' | 'folder']> = [
  [['eval', 'payload-lstm'], '--data', 'text'],
  [['eval', 'payload-lstm'], '--test', 'text'],
  [['eval', 'kdd-iforest'], '--data', 'text'],
  [['eval', 'kdd-iforest'], '--test', 'text'],
  [['eval', 'creditcard-tcn'], '--data', 'text'],
  [['eval', 'creditcard-tcn'], '--test', 'text'],
  [['eval', 'nab-lstm'], '--data', 'folder'],
  [TRAIN.filter((_, i) => i !== 1 && i !== 2), '--data', 'text'],
  [DETECTOR.filter((_, i) => i !== 3 && i !== 4), '--data', 'text'],
  [DETECTOR.filter((_, i) => i !== 3 && i !== 4), '--csv', 'text'],
  [SCORE.filter((_, i) => i !== 1 && i !== 2), '--model', 'binary'],
  [SCORE.filter((_, i) => i !== 3 && i !== 4), '--input', 'text'],
  [SCORE.filter((_, i) => i !== 3 && i !== 4), '--data', 'text'],
  [TENSOR.filter((_, i) => i !== 1 && i !== 2), '--model', 'binary'],
  [['nab', 'score', '--results', folder], '--thresholds', 'text'],
  [['nab', 'score'], '--results', 'folder'],
  [['nab', 'score', '--results', folder], '--data', 'folder'],
  [['export', '--out', path('x.onnx')], '--model', 'binary'],
];

for (const [argv, flag, kind] of inputs) {
  test(`vigil ${command(argv)} ${flag}: missing, ${kind === 'folder' ? 'a file' : 'a folder, empty, the wrong kind'}: exit 1, one line naming the flag and the path`, async () => {
    const cases: Array<[string, RegExp]> = kind === 'folder'
      ? [[path('nowhere'), /no such folder/], [textCsv, /is a file, not a folder/]]
      : [[path('nowhere.csv'), /no such file/], [folder, /is a folder, not a file/], [path('empty.csv'), /is empty/]];
    if (kind === 'text') {
      cases.push([path('model.vigil'), /is a vigil model file, not a data file/], [path('binary.csv'), /is a binary file, not text/],
        [path('utf16.csv'), /is UTF-16 text; save it as UTF-8/]);
    }
    if (flag === '--model') cases.push([textCsv, /not a vigil model file \(it does not start with "VIGILMDL"\)/]);
    for (const [file, why] of cases) {
      const r = await run([...argv, flag, file]);
      assert.is(r.code, 1, `${flag} ${file}: ${r.err}`);
      assert.ok(r.err.startsWith(`vigil: ${flag} ${file}: `), `${flag} ${file}: ${r.err}`);
      assert.match(r.err, why);
      assert.is(r.err.split('\n').length, 2, `one line: ${r.err}`);
      assert.not.match(r.err, /\n\s+at /);
    }
  });
}

test('vigil import, vigil score (tensor input) and --thresholds: a missing, folder, empty, vigil model or CSV file is one line naming it', async () => {
  for (const [file, why] of [[path('nowhere.onnx'), /no such file/], [folder, /is a folder, not a file/], [path('empty.csv'), /is empty/]] as const) {
    const i = await run(['import', file, '--out', path('i.vigil')]);
    assert.is(i.code, 1, i.err);
    assert.ok(i.err.startsWith(`vigil: ONNX file ${file}: `), i.err);
    assert.match(i.err, why);
  }
  const v = await run(['import', path('model.vigil'), '--out', path('i.vigil')]);
  assert.is(v.code, 1, v.err);
  assert.is(v.err, `vigil: ONNX file ${path('model.vigil')}: is a vigil model file, not an ONNX file (vigil export writes one from it)\n`);
  const t = await run([...TENSOR.slice(0, 2), path('model.vigil'), '--input', path('none.npy'), '--output', path('y.npy')]);
  assert.is(t.code, 1, t.err);
  assert.is(t.err, `vigil: --input ${path('none.npy')}: no such file\n`);
  // A CSV named like a tensor file: the tensor reader names the flag too.
  writeFileSync(path('rows.json'), 'a,b\n1,2\n');
  writeFileSync(path('rows.npy'), 'a,b\n1,2\n');
  const j = await run([...TENSOR.slice(0, 3), '--input', path('rows.json'), '--output', path('y.npy')]);
  assert.is(j.code, 1, j.err);
  assert.match(j.err, new RegExp(`^vigil: --input ${path('rows.json')}: not valid JSON \\(.*\\)\n$`));
  const th = await run(['nab', 'score', '--results', folder, '--thresholds', path('rows.json')]);
  assert.is(th.code, 1, th.err);
  assert.match(th.err, new RegExp(`^vigil: --thresholds ${path('rows.json')}: Unexpected token .*\n$`));
  const n = await run([...TENSOR.slice(0, 3), '--input', path('rows.npy'), '--output', path('y.npy')]);
  assert.is(n.code, 1, n.err);
  assert.is(n.err, `vigil: --input ${path('rows.npy')}: not a .npy file (no \\x93NUMPY magic)\n`);
});

test('an output flag naming an input file (or another output) is a usage error: the input would be replaced', async () => {
  const link = path('link-to-texts.csv');
  symlinkSync(textCsv, link);
  const same = path('same.json');
  const cases: Array<[string[], string, string, string]> = [
    [TRAIN.slice(0, -2), '--model', textCsv, '--data'],
    [TRAIN.slice(0, -2), '--model', link, '--data'],
    [TRAIN, '--json', path('m.vigil'), '--model'],
    [DETECTOR.slice(0, -2), '--out', tableCsv, '--data'],
    [SCORE, '--output', tableCsv, '--input'],
    [SCORE, '--json', path('model.vigil'), '--model'],
    [TENSOR.slice(0, -2), '--output', path('x.npy'), '--input'],
    [['eval', 'payload-lstm', '--data', textCsv], '--json', textCsv, '--data'],
    [['eval', 'kdd-iforest', '--test', textCsv], '--json', textCsv, '--test'],
    [['eval', 'creditcard-tcn', '--data', textCsv], '--json', textCsv, '--data'],
    [['nab', 'score', '--results', folder, '--thresholds', textCsv], '--json', textCsv, '--thresholds'],
    [['export', '--model', path('model.vigil')], '--out', path('model.vigil'), '--model'],
    [['import', path('x.npy')], '--out', path('x.npy'), 'the ONNX file'],
    [['score', '--model', path('model.vigil'), '--input', tableCsv, '--output', same], '--json', same, '--output'],
  ];
  for (const [argv, flag, file, other] of cases) {
    const r = await run([...argv, flag, file]);
    assert.is(r.code, 2, `${argv.join(' ')} ${flag}: ${r.err}`);
    assert.ok(r.err.startsWith(`vigil: ${flag} ${file} is the file ${other} names too; writing it would replace that file\n`), r.err);
  }
  assert.is(readFileSync(link, 'utf8'), readFileSync(textCsv, 'utf8'));
  assert.ok(readFileSync(textCsv, 'utf8').startsWith('text,label\n'));
});

test('a --json report replaces an existing file whole and leaves no temporary file', async () => {
  const json = path('report.json');
  writeFileSync(json, 'old');
  const r = await run([...DETECTOR.slice(0, 2), 'iforest', ...DETECTOR.slice(3), '--json', json]);
  assert.is(r.code, 0, r.err);
  assert.is(JSON.parse(readFileSync(json, 'utf8')).detector, 'IsolationForest');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
