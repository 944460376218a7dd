// The NAB corpus reader: the bundled copy (checked against its SHA256SUMS and NAB's own row indices),
// and every malformed input in small folders written to a temp dir.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BUNDLED_NAB, DataFormatError, loadNabCorpus, loadNabCorpusAsync, NAB_PROFILES, nabLabels, NabError, parseNabTime } from '../ts/index.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { throwsError } from './helpers/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-nab-corpus-'));
let made = 0;

/** Writes a NAB folder: files maps paths (relative to it) to contents. Returns its path. */
function nabDir(files: Record<string, string | Buffer>): string {
  const dir = join(root, `c${made++}`);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** `rows` rows 5 minutes apart from 2014-04-01 00:00:00. */
function csv(rows: number, edit: (lines: string[]) => void = () => {}): string {
  const lines = ['timestamp,value'];
  for (let i = 0; i < rows; i++) {
    const t = new Date(Date.UTC(2014, 3, 1) + i * 300_000).toISOString();
    lines.push(`${t.slice(0, 10)} ${t.slice(11, 19)},${(i % 7) + 0.5}`);
  }
  edit(lines);
  return `${lines.join('\n')}\n`;
}

const windows = (w: Record<string, Array<[string, string]>>) => JSON.stringify(w);

test('the bundled corpus: 16 series, sha256 as listed, NAB\'s profiles', () => {
  const sums = readFileSync(join(BUNDLED_NAB, 'SHA256SUMS'), 'utf8').trim().split('\n');
  assert.is(sums.length, 20);
  for (const line of sums) {
    const [sum, path] = line.split(/\s+/);
    assert.is(createHash('sha256').update(readFileSync(join(BUNDLED_NAB, path))).digest('hex'), sum, path);
  }
  const c = loadNabCorpus();
  assert.is(c.series.length, 16);
  assert.is(c.series.reduce((a, s) => a + s.timestamps.length, 0), 67_747);
  assert.is(c.series.reduce((a, s) => a + s.windows.length, 0), 21);
  assert.equal(c.profiles, NAB_PROFILES);
  assert.ok(c.profilesFile!.endsWith(join('config', 'profiles.json')));
  assert.equal(c.series.map((s) => s.key).slice(0, 3), [
    'artificialNoAnomaly/art_daily_no_noise.csv', 'artificialNoAnomaly/art_daily_perfect_square_wave.csv', 'artificialWithAnomaly/art_daily_jumpsdown.csv',
  ]);
  const amb = c.series.find((s) => s.key === 'realKnownCause/ambient_temperature_system_failure.csv')!;
  assert.is(amb.category, 'realKnownCause');
  assert.is(amb.name, 'ambient_temperature_system_failure');
  assert.is(amb.timestamps.length, 7267);
  assert.is(amb.times[0], '2013-07-04 00:00:00');
  assert.is(amb.timestamps[0], Date.UTC(2013, 6, 4));
  assert.is(amb.values[0], 69.88083514);
  // NAB's windows as row ranges (the widths are int(0.10 * rows / anomalies) + 1 around each label).
  assert.equal(amb.windows.map((w) => [w.start, w.end]), [[3540, 3902], [5999, 6361]]);
  assert.is(amb.windows[0].startTime, '2013-12-15 07:00:00.000000');
  const ec2 = c.series.find((s) => s.key === 'realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv')!;
  assert.equal(ec2.windows.map((w) => [w.start, w.end]), [[3447, 3647], [3677, 3877]]);
  // ec2_825cc2's two labels are merged into one window.
  assert.equal(c.series.find((s) => s.key.endsWith('825cc2.csv'))!.windows.map((w) => [w.start, w.end]), [[1526, 1868]]);
  const labels = nabLabels(ec2);
  assert.is(labels.reduce((a, b) => a + b, 0), 402);
  assert.is(labels[3446], 0);
  assert.is(labels[3447], 1);
  assert.is(labels[3877], 1);
  assert.is(labels[3878], 0);
});

test('parseNabTime: UTC, optional fraction, calendar checks', () => {
  assert.is(parseNabTime('2014-02-26 13:45:00'), Date.UTC(2014, 1, 26, 13, 45));
  assert.is(parseNabTime('2014-02-26 13:45:00.000000'), Date.UTC(2014, 1, 26, 13, 45));
  assert.is(parseNabTime('2014-02-26T13:45:00'), Date.UTC(2014, 1, 26, 13, 45));
  assert.is(parseNabTime('2014-02-26 13:45:00.5'), Date.UTC(2014, 1, 26, 13, 45) + 500);
  assert.is(parseNabTime('2016-02-29 00:00:00'), Date.UTC(2016, 1, 29));
  assert.is(parseNabTime('1969-12-31 23:59:59'), -1000);
  for (const bad of ['2015-02-29 00:00:00', '2014-13-01 00:00:00', '2014-04-31 00:00:00', '2014-01-01 24:00:00', '2014-01-01 00:60:00',
    '2014-01-01', '2014-01-01 00:00:00Z', '2014-01-01 00:00:00+01:00', '14-01-01 00:00:00', ' 2014-01-01 00:00:00', '']) {
    assert.is(parseNabTime(bad), null, bad);
  }
});

test('a folder in NAB\'s layout: gzipped or plain series, the built-in profiles, windows to rows', () => {
  const dir = nabDir({
    'data/catB/two.csv.gz': gzipSync(csv(50)),
    'data/catA/one.csv': csv(40),
    'data/README.md': 'not a series',
    'data/catA/notes.txt': 'ignored',
    'labels/combined_windows.json': windows({
      'catA/one.csv': [['2014-04-01 01:00:00.000000', '2014-04-01 01:30:00.000000']],
      'catB/two.csv': [],
      'catC/absent.csv': [['x', 'y']],
    }),
  });
  const c = loadNabCorpus(dir);
  assert.equal(c.series.map((s) => s.key), ['catA/one.csv', 'catB/two.csv']);
  assert.equal(c.series[0].windows.map((w) => [w.start, w.end]), [[12, 18]]);
  assert.equal(c.series[1].windows, []);
  assert.is(c.series[1].timestamps.length, 50);
  assert.is(c.profilesFile, null);
  assert.equal(c.profiles, NAB_PROFILES);
  // Other file names for the windows and profiles.
  const own = nabDir({
    'data/a/s.csv': csv(10),
    'w.json': windows({ 'a/s.csv': [] }),
    'p.json': JSON.stringify({ mine: { CostMatrix: { tpWeight: 2, fpWeight: 0.5, fnWeight: 1 } } }),
  });
  const o = loadNabCorpus(own, { windowsFile: 'w.json', profilesFile: join(own, 'p.json') });
  assert.equal(o.profiles, { mine: { tpWeight: 2, fpWeight: 0.5, fnWeight: 1, tnWeight: 0 } });
});

test('malformed series files: the file and line are named', () => {
  const w = windows({ 'a/s.csv': [] });
  const load = (text: string) => () => loadNabCorpus(nabDir({ 'data/a/s.csv': text, 'labels/combined_windows.json': w }));
  throwsError(load(csv(5, (l) => { l[3] = l[2]; })), DataFormatError, /s\.csv:4: duplicate timestamp 2014-04-01 00:05:00 \(also on line 3\)/);
  throwsError(load(csv(5, (l) => { [l[3], l[4]] = [l[4], l[3]]; })), DataFormatError, /s\.csv:5: timestamp 2014-04-01 00:10:00 is earlier than line 4's 2014-04-01 00:15:00: rows must be sorted/);
  throwsError(load(csv(5, (l) => { l[2] = '2014-04-01 00:05:00,nan'; })), DataFormatError, /s\.csv:3: value must be a finite number, got "nan"/);
  throwsError(load(csv(5, (l) => { l[2] = '2014-04-01 00:05:00,'; })), DataFormatError, /s\.csv:3: value must be a finite number/);
  throwsError(load(csv(5, (l) => { l[2] = '2014-04-01 00:05:00,1e999'; })), DataFormatError, /s\.csv:3: value/);
  throwsError(load(csv(5, (l) => { l[5] = '04/01/2014 00:20,1'; })), DataFormatError, /s\.csv:6: timestamp must be YYYY-MM-DD HH:MM:SS/);
  throwsError(load(csv(5, (l) => { l[2] = '2014-04-01 00:05:00'; })), DataFormatError, /s\.csv:3: expected at least 2 fields, got 1/);
  throwsError(load(csv(5, (l) => { l[0] = 'time,value'; })), DataFormatError, /s\.csv:1: expected a header with columns timestamp and value/);
  throwsError(load(''), DataFormatError, /empty/);
  throwsError(load('timestamp,value\n'), DataFormatError, /no rows/);
  throwsError(load(csv(5, (l) => { l[4] = '2014-04-01 00:15:00,"2'; })), DataFormatError, /s\.csv:5/);
});

test('allowUnorderedTimes: repeated and backward times are kept and listed, as NAB keeps them', () => {
  // Like NAB's ec2_disk_write_bytes_1ef3de.csv (a clock change) and machine_temperature_system_failure.csv.
  const text = csv(40, (l) => {
    l[11] = l[10];
    l[12] = l[10];
    [l[20], l[21]] = [l[21], l[20]];
  });
  const files = { 'data/a/s.csv': text, 'labels/combined_windows.json': windows({ 'a/s.csv': [['2014-04-01 02:00:00', '2014-04-01 02:30:00']] }) };
  throwsError(() => loadNabCorpus(nabDir(files)), DataFormatError, /s\.csv:12: duplicate timestamp 2014-04-01 00:45:00 \(also on line 11\); allowUnorderedTimes/);
  const c = loadNabCorpus(nabDir(files), { allowUnorderedTimes: true });
  const s = c.series[0];
  assert.equal(s.unorderedLines, [12, 13, 22]);
  assert.is(s.timestamps.length, 40);
  assert.equal(s.windows.map((w) => [w.start, w.end]), [[24, 30]]);
  // A window edge on a repeated time has no single row.
  const dup = { ...files, 'labels/combined_windows.json': windows({ 'a/s.csv': [['2014-04-01 00:45:00', '2014-04-01 02:30:00']] }) };
  throwsError(() => loadNabCorpus(nabDir(dup), { allowUnorderedTimes: true }), NabError, /00:45:00 is on more than one row/);
  assert.equal(loadNabCorpus().series.map((x) => x.unorderedLines.length), new Array(16).fill(0));
});

test('malformed windows, profiles and folders: clear errors', () => {
  const load = (files: Record<string, string>) => () => loadNabCorpus(nabDir(files));
  const s = { 'data/a/s.csv': csv(40) };
  const w = (x: unknown) => ({ ...s, 'labels/combined_windows.json': JSON.stringify(x) });
  throwsError(load(w({})), NabError, /a\/s\.csv has no entry in the windows file/);
  throwsError(load(w({ 'a/s.csv': [['2014-04-01 01:02:00', '2014-04-01 01:30:00']] })), NabError, /01:02:00 is not a row of the series/);
  throwsError(load(w({ 'a/s.csv': [['2014-04-01 01:30:00', '2014-04-01 01:00:00']] })), NabError, /ends .* before it starts/);
  throwsError(load(w({ 'a/s.csv': [['2014-04-01 01:00:00', '2014-04-01 01:30:00'], ['2014-04-01 01:30:00', '2014-04-01 02:00:00']] })), NabError, /window 1 .* sorted and disjoint/);
  throwsError(load(w({ 'a/s.csv': [['2014-04-01 02:00:00', '2014-04-01 02:30:00'], ['2014-04-01 01:00:00', '2014-04-01 01:30:00']] })), NabError, /sorted and disjoint/);
  throwsError(load(w({ 'a/s.csv': [['2014-04-01 01:00:00']] })), NabError, /window 0 must be a pair/);
  throwsError(load(w({ 'a/s.csv': 'all' })), NabError, /list of \[start, end\] pairs/);
  throwsError(load(w({ 'a/s.csv': [['yesterday', '2014-04-01 01:30:00']] })), NabError, /malformed timestamp "yesterday"/);
  throwsError(load(w([])), NabError, /expected an object/);
  throwsError(load({ ...s, 'labels/combined_windows.json': '{"a/s.csv": [' }), NabError, /not valid JSON/);
  throwsError(load(s), NabError, /windows file not found/);
  throwsError(load({ 'labels/combined_windows.json': '{}' }), NabError, /no data\/ folder/);
  throwsError(load({ 'data/a/README.md': 'x', 'labels/combined_windows.json': '{}' }), NabError, /holds no <category>\/<series>\.csv/);
  throwsError(load({ 'data/a/s.csv': csv(5), 'data/a/s.csv.gz': csv(5), 'labels/combined_windows.json': '{}' }), NabError, /a\/s\.csv is there twice/);
  const p = (x: unknown) => ({ ...w({ 'a/s.csv': [] }), 'config/profiles.json': JSON.stringify(x) });
  throwsError(load(p({ std: { CostMatrix: { tpWeight: 1, fpWeight: 'a', fnWeight: 1 } } })), NabError, /profile std's CostMatrix: fpWeight must be a finite number >= 0, got "a"/);
  throwsError(load(p({ std: { tpWeight: 1 } })), NabError, /CostMatrix: expected/);
  throwsError(load(p({})), NabError, /expected an object of profiles/);
  throwsError(() => loadNabCorpus(join(root, 'nowhere')), NabError, /NAB folder not found/);
  throwsError(() => loadNabCorpus(''), TypeError, /dir must be a non-empty string/);
});

test('loadNabCorpusAsync: the sync form\'s corpus, and its errors', async () => {
  const bundled = loadNabCorpusAsync();
  const want = loadNabCorpus();
  assert.equal(await bundled, want);
  const text = csv(40, (l) => { l[11] = l[10]; });
  const files = { 'data/a/s.csv': text, 'labels/combined_windows.json': windows({ 'a/s.csv': [] }) };
  const dir = nabDir(files);
  assert.equal(await loadNabCorpusAsync(dir, { allowUnorderedTimes: true, signal: new AbortController().signal }), loadNabCorpus(dir, { allowUnorderedTimes: true }));
  const e = await rejectsLikeSync(() => loadNabCorpus(dir), loadNabCorpusAsync(dir));
  assert.ok(e instanceof DataFormatError && e.line === 12);
  const noWindows = nabDir({ 'data/a/s.csv': text });
  assert.ok((await rejectsLikeSync(() => loadNabCorpus(noWindows), loadNabCorpusAsync(noWindows))) instanceof NabError);
  await rejectsLikeSync(() => loadNabCorpus(''), loadNabCorpusAsync(''));
  await rejectsLikeSync(() => loadNabCorpus(join(root, 'nowhere')), loadNabCorpusAsync(join(root, 'nowhere')));
});

test.run();
