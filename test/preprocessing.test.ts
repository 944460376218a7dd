// Preprocessing: the character tokenizer against Keras' Tokenizer(char_level=True) on cases worked
// out by hand from its source, pad_sequences' four pad/truncate combinations, seeded splits and
// the CSV reader.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CharTokenizer, csvRecords, DataFormatError, groupTrainTestSplit, padSequences, parseCsv, permutation, takeRows, trainTestSplit } from '../ts/models/preprocessing/index.ts';
import { throwsError } from './helpers/errors.ts';

const seqs = (t: CharTokenizer, texts: string[]) => t.textsToSequences(texts).map((s) => Array.from(s));

test('tokenizer: lower-cased, 1-based, by descending count, ties in first-seen order', () => {
  const t = new CharTokenizer().fitOnTexts(['Hello', 'World!']);
  // counts h1 e1 l3 o2 w1 r1 d1 !1 -> l, o, then the ones in the order first seen.
  assert.equal([...t.wordIndex], [['l', 1], ['o', 2], ['h', 3], ['e', 4], ['w', 5], ['r', 6], ['d', 7], ['!', 8]]);
  assert.is(t.vocabSize, 9);
  assert.is(t.documentCount, 2);
  assert.is(t.indexWord.get(3), 'h');
  // The space was never seen: dropped, as Keras does without an oov token.
  assert.equal(seqs(t, ['hello WORLD']), [[3, 4, 1, 1, 2, 5, 2, 6, 1, 7]]);
  assert.equal(seqs(t, ['', '   ']), [[], []]);
});

test('tokenizer: counts accumulate over fit calls and ties keep first appearance', () => {
  const t = new CharTokenizer().fitOnTexts(['ab']).fitOnTexts(['ba']);
  assert.equal([...t.wordIndex], [['a', 1], ['b', 2]]);
  t.fitOnTexts(['bb']);
  assert.equal([...t.wordIndex], [['b', 1], ['a', 2]]);
  assert.is(t.documentCount, 3);
  assert.equal([...t.wordCounts], [['a', 2], ['b', 4]]);
});

test('tokenizer: oovToken takes index 1 and stands for unseen characters', () => {
  const t = new CharTokenizer({ oovToken: '<OOV>' }).fitOnTexts(['Hello', 'World!']);
  assert.is(t.wordIndex.get('<OOV>'), 1);
  assert.is(t.wordIndex.get('l'), 2);
  assert.is(t.oovIndex, 1);
  assert.is(t.vocabSize, 10);
  assert.equal(seqs(t, ['hello world']), [[4, 5, 2, 2, 3, 1, 6, 3, 7, 2, 8]]);
  // Keras builds a dict from [oov, ...chars]: a one-character oov token that also occurs takes
  // its later, frequency index.
  const k = new CharTokenizer({ oovToken: 'x' }).fitOnTexts(['xxy']);
  assert.equal([...k.wordIndex], [['x', 2], ['y', 3]]);
  assert.equal(seqs(k, ['zy']), [[2, 3]]);
});

test('tokenizer: numWords keeps indices below it (others dropped, or OOV)', () => {
  const t = new CharTokenizer({ numWords: 4 }).fitOnTexts(['Hello', 'World!']);
  assert.is(t.vocabSize, 4);
  assert.equal(seqs(t, ['hello world']), [[3, 1, 1, 2, 2, 1]]);
  const o = new CharTokenizer({ numWords: 4, oovToken: '<OOV>' }).fitOnTexts(['Hello', 'World!']);
  assert.equal(seqs(o, ['held']), [[1, 1, 2, 1]]);
});

test('tokenizer: lower=false keeps case; filters are off by default (Keras ignores them at char level)', () => {
  assert.equal([...new CharTokenizer({ lower: false }).fitOnTexts(['Aa', 'a']).wordIndex], [['a', 1], ['A', 2]]);
  assert.equal([...new CharTokenizer().fitOnTexts(['Aa', 'a']).wordIndex], [['a', 1]]);
  assert.equal([...new CharTokenizer().fitOnTexts(['a\tb\n']).wordIndex], [['a', 1], ['\t', 2], ['b', 3], ['\n', 4]]);
  const f = new CharTokenizer({ filters: '\t\n' }).fitOnTexts(['a\tb\n']);
  assert.equal([...f.wordIndex], [['a', 1], ['b', 2]]);
  assert.equal(seqs(f, ['a\tb']), [[1, 2]]);
});

test('tokenizer: characters are code points, as Python iterates a str', () => {
  const t = new CharTokenizer().fitOnTexts(['😀a😀é']);
  assert.equal([...t.wordIndex], [['😀', 1], ['a', 2], ['é', 3]]);
  assert.equal(seqs(t, ['é😀']), [[3, 1]]);
});

test('tokenizer: toJSON/fromJSON round-trips through JSON text', () => {
  const t = new CharTokenizer({ oovToken: '?', numWords: 30 }).fitOnTexts(['http://a.example/login.php', 'https://b.example']);
  const back = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(t)));
  assert.equal([...back.wordIndex], [...t.wordIndex]);
  assert.equal([...back.wordCounts], [...t.wordCounts]);
  assert.is(back.numWords, 30);
  assert.is(back.oovToken, '?');
  assert.is(back.documentCount, 2);
  assert.equal(seqs(back, ['HTTP://zz']), seqs(t, ['HTTP://zz']));
  // Further fitting continues from the same counts.
  assert.equal([...back.fitOnTexts(['zzz']).wordIndex], [...t.fitOnTexts(['zzz']).wordIndex]);
});

test('tokenizer: bad input and bad JSON give clear errors', () => {
  throwsError(() => new CharTokenizer({ numWords: 0 }), RangeError, /numWords/);
  throwsError(() => new CharTokenizer({ oovToken: '' }), TypeError, /oovToken/);
  throwsError(() => new CharTokenizer().fitOnTexts('abc' as unknown as string[]), TypeError, /iterable/);
  throwsError(() => new CharTokenizer().fitOnTexts([1 as unknown as string]), TypeError, /every text must be a string/);
  throwsError(() => new CharTokenizer().textsToSequences([null as unknown as string]), TypeError, /string/);
  const good = new CharTokenizer().fitOnTexts(['ab']).toJSON();
  throwsError(() => CharTokenizer.fromJSON({ ...good, type: 'WordTokenizer' }), TypeError, /type/);
  throwsError(() => CharTokenizer.fromJSON({ ...good, version: 99 }), RangeError, /newer/);
  throwsError(() => CharTokenizer.fromJSON({ ...good, wordIndex: [['a', 0]] }), TypeError, /positive integer/);
  throwsError(() => CharTokenizer.fromJSON({ ...good, wordIndex: [['a', 1], ['b', 1]] }), TypeError, /repeats/);
  throwsError(() => CharTokenizer.fromJSON('x'), TypeError, /object/);
});

test('padSequences: the four pad/truncate combinations, lengths after truncation', () => {
  const s = [[1, 2, 3, 4, 5], [6, 7], []];
  const rows = (p: ReturnType<typeof padSequences>) => [0, 1, 2].map((r) => Array.from(p.tokens.subarray(r * p.time, (r + 1) * p.time)));
  const cases: Array<['pre' | 'post', 'pre' | 'post', number[][]]> = [
    ['pre', 'pre', [[3, 4, 5], [0, 6, 7], [0, 0, 0]]],
    ['pre', 'post', [[1, 2, 3], [0, 6, 7], [0, 0, 0]]],
    ['post', 'pre', [[3, 4, 5], [6, 7, 0], [0, 0, 0]]],
    ['post', 'post', [[1, 2, 3], [6, 7, 0], [0, 0, 0]]],
  ];
  for (const [padding, truncating, want] of cases) {
    const p = padSequences(s, { maxlen: 3, padding, truncating });
    assert.equal(rows(p), want, `${padding}/${truncating}`);
    assert.equal(Array.from(p.lengths), [3, 2, 0]);
    assert.is(p.padding, padding);
    assert.is(p.batch, 3);
    assert.is(p.time, 3);
  }
  // Keras defaults: pre/pre, maxlen = the longest, value 0; Int32Array rows work too.
  const d = padSequences([Int32Array.from([1, 2]), [3]]);
  assert.equal(Array.from(d.tokens), [1, 2, 0, 3]);
  assert.equal(Array.from(padSequences([[9]], { maxlen: 3, value: -1 }).tokens), [-1, -1, 9]);
  assert.is(padSequences([], { maxlen: 4 }).tokens.length, 0);
});

test('padSequences: bad input', () => {
  throwsError(() => padSequences([[1]], { maxlen: 0 }), RangeError, /maxlen/);
  throwsError(() => padSequences([[1]], { padding: 'middle' as 'pre' }), RangeError, /padding/);
  throwsError(() => padSequences([[1]], { truncating: 'x' as 'pre' }), RangeError, /truncating/);
  throwsError(() => padSequences([[1.5]]), RangeError, /32-bit integers/);
  throwsError(() => padSequences([[NaN]]), RangeError, /NaN/);
  throwsError(() => padSequences([[1]], { value: 0.5 }), RangeError, /value/);
  throwsError(() => padSequences([5 as unknown as number[]]), TypeError, /sequence 0/);
  throwsError(() => padSequences(null as unknown as number[][]), TypeError, /sequences/);
});

function checkPartition(n: number, s: { train: Int32Array; test: Int32Array }): void {
  const all = [...s.train, ...s.test].sort((a, b) => a - b);
  assert.equal(all, Array.from({ length: n }, (_, i) => i));
}

test('trainTestSplit: seeded, deterministic, scikit-learn sizes', () => {
  const a = trainTestSplit(100, { testSize: 0.33, seed: 42 });
  const b = trainTestSplit(100, { testSize: 0.33, seed: 42 });
  assert.equal(a, b);
  assert.is(a.test.length, 33);
  checkPartition(100, a);
  assert.not.equal(Array.from(trainTestSplit(100, { testSize: 0.33, seed: 43 }).test), Array.from(a.test));
  assert.is(trainTestSplit(10).test.length, 3);
  assert.is(trainTestSplit(10, { testSize: 4 }).test.length, 4);
  const ordered = trainTestSplit(5, { testSize: 2, shuffle: false });
  assert.equal([Array.from(ordered.train), Array.from(ordered.test)], [[0, 1, 2], [3, 4]]);
  // Each row lands in the test set about testSize of the time over seeds.
  const hits = new Array<number>(20).fill(0);
  for (let seed = 0; seed < 400; seed++) for (const i of trainTestSplit(20, { seed }).test) hits[i]++;
  for (const h of hits) assert.ok(h > 60 && h < 140, `test frequency ${h} / 400 (expected about 100)`);
});

test('trainTestSplit: stratified keeps each class share', () => {
  const y = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 3 ? 1 : 0));
  const s = trainTestSplit(1000, { testSize: 0.25, seed: 42, stratify: y });
  checkPartition(1000, s);
  assert.is(s.test.length, 250);
  assert.is(takeRows(y, s.test).reduce((a, v) => a + v, 0), 75);
  assert.is(takeRows(y, s.train).reduce((a, v) => a + v, 0), 225);
  assert.equal(s, trainTestSplit(1000, { testSize: 0.25, seed: 42, stratify: y }));
  // 7 + 3 rows, 4 to test: shares 2.8 and 1.2 -> 2 + 1, the left-over row to the larger remainder.
  const small = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
  const t = trainTestSplit(10, { testSize: 0.33, seed: 1, stratify: small });
  assert.equal(takeRows(small, t.test).sort(), [0, 0, 0, 1]);
  // Three classes, labels need not be 0..k-1.
  const z = Array.from({ length: 90 }, (_, i) => [5, 9, 12][i % 3]);
  const u = trainTestSplit(90, { testSize: 30, seed: 3, stratify: z });
  for (const c of [5, 9, 12]) assert.is(takeRows(z, u.test).filter((v) => v === c).length, 10);
});

test('groupTrainTestSplit: groups never straddle, sizes by group, stratified, deterministic', () => {
  // 300 groups of 1-3 rows (ids scattered, not sorted); class 1 for every third group, and one
  // mixed group that must count as class 1.
  const groups: number[] = [];
  const y: number[] = [];
  for (let g = 0; g < 300; g++) {
    for (let r = 0; r <= g % 3; r++) {
      groups.push((g * 7919) % 1000);
      y.push(g % 3 === 1 ? 1 : 0);
    }
  }
  y[3] = 1; // the third group (rows 3-5) now mixes classes 0 and 1: it counts as class 1
  const n = groups.length;
  const s = groupTrainTestSplit(groups, { testSize: 0.25, seed: 42, stratify: y });
  checkPartition(n, s);
  const testGroups = new Set(Array.from(s.test, (i) => groups[i]));
  for (const i of s.train) assert.not.ok(testGroups.has(groups[i]), `group ${groups[i]} straddles`);
  assert.is(testGroups.size, 75);
  // Class by group: 100 groups of class 1 plus the mixed one -> 101 of 300; 75 test groups get 25.25 -> 25.
  const testClass1 = [...testGroups].filter((g) => s.test.some((i) => groups[i] === g && y[i] === 1)).length;
  assert.is(testClass1, 25);
  // Members of a group are adjacent on each side, so a validation cut breaks at most one group.
  for (const part of [s.train, s.test]) {
    const seen = new Set<number>();
    for (let k = 0; k < part.length; k++) {
      const g = groups[part[k]];
      if (k > 0 && groups[part[k - 1]] !== g) assert.not.ok(seen.has(g), `group ${g} split within a side`);
      seen.add(g);
    }
  }
  assert.equal(s, groupTrainTestSplit(groups, { testSize: 0.25, seed: 42, stratify: y }));
  assert.not.equal(Array.from(groupTrainTestSplit(groups, { testSize: 0.25, seed: 7, stratify: y }).test), Array.from(s.test));
  // One row per group: the same split as trainTestSplit over rows.
  const single = Array.from({ length: 50 }, (_, i) => i);
  assert.equal(groupTrainTestSplit(single, { seed: 3 }), trainTestSplit(50, { seed: 3 }));
  throwsError(() => groupTrainTestSplit(null as unknown as number[]), TypeError, /groups must be/);
  throwsError(() => groupTrainTestSplit([1, 1, 1]), RangeError, /at least 2 groups/);
  throwsError(() => groupTrainTestSplit([0, 1.5, 2]), RangeError, /groups\[1\]/);
  throwsError(() => groupTrainTestSplit([0, 1, 2, 3], { stratify: [0, 1] }), RangeError, /stratify must hold one class per row/);
  throwsError(() => groupTrainTestSplit([0, 1, 2, 3], { stratify: [0, 1, NaN, 1] }), RangeError, /stratify\[2\]/);
});

test('trainTestSplit and helpers: bad input', () => {
  throwsError(() => trainTestSplit(1), RangeError, /n must be/);
  throwsError(() => trainTestSplit(10, { testSize: 0 }), RangeError, /testSize/);
  throwsError(() => trainTestSplit(10, { testSize: 10 }), RangeError, /no training rows/);
  throwsError(() => trainTestSplit(10, { testSize: 1.5 }), RangeError, /testSize/);
  throwsError(() => trainTestSplit(10, { seed: -1 }), RangeError, /seed/);
  throwsError(() => trainTestSplit(4, { stratify: [0, 1, 0] }), RangeError, /one class per row/);
  throwsError(() => trainTestSplit(4, { stratify: [0, 1, 0, 0] }), RangeError, /class 1 has only 1 row/);
  throwsError(() => trainTestSplit(4, { stratify: [0, 1, NaN, 1] }), RangeError, /finite/);
  throwsError(() => trainTestSplit(4, { stratify: [0, 1, 0, 1], shuffle: false }), RangeError, /shuffle/);
  throwsError(() => takeRows([1, 2], [2]), RangeError, /outside/);
  assert.equal(Array.from(permutation(1, 0)), [0]);
  assert.equal(takeRows(['a', 'b', 'c'], [2, 0]), ['c', 'a']);
  assert.ok(takeRows(Float32Array.from([1, 2]), [1]) instanceof Float32Array);
});

test('csv: quoted fields hold delimiters, line breaks and doubled quotes', () => {
  const text = '\ufeffurl,label\r\n"http://a/\n",1\r\n"x, ""y""",0\r\nplain,\r\n\r\n,"",last';
  assert.equal(parseCsv(text), [['url', 'label'], ['http://a/\n', '1'], ['x, "y"', '0'], ['plain', ''], ['', '', 'last']]);
  assert.equal([...csvRecords(text)].map((r) => r.line), [1, 2, 4, 5, 7]);
  assert.equal(parseCsv('a,b\nc,d\n'), [['a', 'b'], ['c', 'd']]);
  assert.equal(parseCsv('a"b,c'), [['a"b', 'c']]);
  assert.equal(parseCsv('|a,b|,c', { quote: '|' }), [['a,b', 'c']]);
  assert.equal(parseCsv('a;b', { delimiter: ';' }), [['a', 'b']]);
  assert.equal(parseCsv('a,'), [['a', '']]);
});

test('csv: malformed input names the source and line', () => {
  throwsError(() => parseCsv('a,b\n"open,\nmore', { source: 'f.csv' }), DataFormatError, /^f\.csv:2: quoted field is never closed/);
  throwsError(() => parseCsv('a\n"x"y,1', { source: 'g.csv' }), DataFormatError, /^g\.csv:2: unexpected "y" after a closing quote/);
  throwsError(() => parseCsv('a', { delimiter: ',,' }), RangeError, /delimiter/);
  throwsError(() => parseCsv('a', { quote: ',' }), RangeError, /differ/);
});

test('vocabSize covers every index, also when a one-character oovToken occurs in the texts', () => {
  const tok = new CharTokenizer({ oovToken: '?' }).fitOnTexts(['ab?', 'a']);
  const ids = tok.textsToSequences(['ab?z']);
  assert.ok(Math.max(...ids[0]) < tok.vocabSize, `ids ${Array.from(ids[0])}, vocabSize ${tok.vocabSize}`);
});

test.run();
