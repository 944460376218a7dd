// The bundled data sets load with the row counts and label balance data/README.md gives, and
// user files in the same format (gzipped or not) load the same way or fail naming file and line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BUNDLED_DATA, DataFormatError, HTTP_PARAMS_CLASSES, loadCsic, loadCsicAsync, loadHttpParams, loadHttpParamsAsync, loadPhishing, loadPhishingAsync,
  urlGroupKey,
} from '../ts/models/datasets.ts';
import { groupTrainTestSplit } from '../ts/models/preprocessing/split.ts';
import { rejectsLikeSync } from './helpers/async-twin.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';

const sum = (a: Int32Array) => a.reduce((s, v) => s + v, 0);
const dir = mkdtempSync(join(tmpdir(), 'vigil-datasets-'));
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('bundled files live in the package data folder', () => {
  for (const p of Object.values(BUNDLED_DATA)) {
    assert.ok(p.includes(`${join('data', '')}`) && !p.includes('shared'), p);
  }
});

test('phishing: 31,956 trimmed URLs, 15,956 phishing', () => {
  const d = loadPhishing();
  assert.is(d.texts.length, 31956);
  assert.is(d.labels.length, 31956);
  assert.is(sum(d.labels), 15956);
  assert.is(new Set(d.texts).size, 31875);
  assert.ok(d.texts.every((u) => u.length > 0 && u === u.trim()));
  assert.ok(d.texts[0].startsWith('http://'));
  // Trivial variants of a URL share a group (all of them phishing pages listed twice or three times).
  const size = new Map<number, number>();
  for (const g of d.groups!) size.set(g, (size.get(g) ?? 0) + 1);
  assert.is(size.size, 31176);
  const multi = [...size.values()].filter((c) => c > 1);
  assert.is(multi.length, 732);
  assert.is(multi.reduce((a, c) => a + c, 0), 1512);
  assert.ok(d.texts.every((_, i) => size.get(d.groups![i])! === 1 || d.labels[i] === 1));
});

test('phishing groups: scheme, www., trailing slashes and case do not separate a URL', () => {
  assert.is(urlGroupKey('https://WWW.Example.com/a/b//'), 'example.com/a/b');
  assert.is(urlGroupKey('example.com/a/b'), 'example.com/a/b');
  assert.is(urlGroupKey('http://www2.example.com/'), 'www2.example.com');
  const p = loadPhishing(file('g.csv', 'url,phishing\nhttp://x.com/a/,1\nhttps://www.x.com/a,1\nhttp://x.com/b,0\n'));
  assert.equal(Array.from(p.groups!), [0, 0, 1]);
});

test('CSIC 2010: 49,683 lines de-duplicate to 20,080 requests (12,365 attacks)', () => {
  const d = loadCsic();
  assert.is(d.rawRows, 49683);
  assert.is(d.texts.length, 20080);
  assert.is(sum(d.labels), 12365);
  assert.is(d.conflicting, 0);
  assert.is(new Set(d.texts).size, d.texts.length);
  assert.is(d.texts[0], '{"method":"GET","url":"http://localhost:8080/tienda1/index.jsp"}');
  const r = JSON.parse(d.texts[1]) as Record<string, unknown>;
  assert.equal(Object.keys(r), ['method', 'url']);
});

test('CSIC 2010: GET/POST twins share a group; a group split keeps them on one side', () => {
  const d = loadCsic();
  assert.is(d.groups.length, 20080);
  assert.is(d.groupCount, 12504);
  const sizes = new Map<number, number>();
  for (const g of d.groups) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  const hist = [0, 0, 0, 0];
  for (const c of sizes.values()) hist[c]++;
  assert.equal(hist, [0, 4942, 7548, 14]); // 7,562 groups with twins: 15,138 of the 20,080 rows
  const urlOf = (t: string) => (JSON.parse(t) as { url: string }).url;
  for (let i = 1; i < 200; i++) assert.is(d.groups[i] === d.groups[i - 1], urlOf(d.texts[i]) === urlOf(d.texts[i - 1]));
  const s = groupTrainTestSplit(d.groups, { testSize: 0.25, seed: 42, stratify: d.labels });
  assert.is(s.train.length + s.test.length, 20080);
  const testUrls = new Set(Array.from(s.test, (i) => urlOf(d.texts[i])));
  assert.is(testUrls.size, 3126); // ceil(0.25 * 12,504) groups
  for (const i of s.train) if (testUrls.has(urlOf(d.texts[i]))) assert.unreachable(`a twin of train row ${i} is in test`);
});

test('CSIC loader: copies collapse, conflicting pairs are dropped and counted', () => {
  const lines = [
    '{"method":"GET","url":"/a","breach":0}',
    '{"method":"GET","url":"/a","breach":0}',
    '{"method":"POST","url":"/a","breach":1}',
    '{"method":"GET","url":"/b","breach":1}',
    '{"method":"GET","url":"/b","breach":0}',
    '',
  ];
  const d = loadCsic(file('small.jsonl.gz', gzipSync(lines.join('\r\n'))));
  assert.equal(d.texts, ['{"method":"GET","url":"/a"}', '{"method":"POST","url":"/a"}']);
  assert.equal(Array.from(d.labels), [0, 1]);
  assert.is(d.rawRows, 5);
  assert.is(d.conflicting, 1);
  assert.equal(Array.from(d.groups), [0, 0]);
  assert.is(d.groupCount, 1);
  throwsError(() => loadCsic(file('bad.jsonl', '{"method":"GET","url":"/a","breach":0}\n{"method":"GET"')), DataFormatError, /bad\.jsonl:2: not valid JSON/);
  throwsError(() => loadCsic(file('bad2.jsonl', '{"method":"GET","url":"/a","breach":2}')), DataFormatError, /:1: "breach" must be 0 or 1/);
  throwsError(() => loadCsic(file('bad3.jsonl', '\n\n{"method":1,"url":"/a","breach":0}')), DataFormatError, /:3: expected an object/);
});

test('HttpParams: 24,853 payloads, 9,410 attacks in four types', () => {
  const d = loadHttpParams();
  assert.is(d.texts.length, 24853);
  assert.is(sum(d.labels), 9410);
  assert.equal(d.classNames, HTTP_PARAMS_CLASSES);
  const per = d.classNames.map((_, k) => d.classes.filter((c) => c === k).length);
  assert.equal(per, [15443, 8673, 426, 237, 74]);
  for (let i = 0; i < d.labels.length; i++) if ((d.labels[i] === 0) !== (d.classes[i] === 0)) assert.unreachable(`row ${i}`);
  // Quoted payloads with commas and doubled quotes come back whole.
  assert.ok(d.texts.includes('c/ del ferrocarril, 152,'));
  assert.ok(d.texts.some((t) => t.includes('"') && t.includes(',')));
});

test('user files in the bundled formats, plain or gzipped', () => {
  const p = loadPhishing(file('p.csv', 'url,phishing\r\n"http://x/\n",1\r\n"http://y/, z",0\r\n'));
  assert.equal(p.texts, ['http://x/', 'http://y/, z']);
  assert.equal(Array.from(p.labels), [1, 0]);
  const h = loadHttpParams(file('h.csv.gz', gzipSync('payload,length,attack_type,label\n"1\' or ""a""=""a",13,sqli,anom\nabc,3,norm,norm\n')));
  assert.equal(h.texts, ['1\' or "a"="a', 'abc']);
  assert.equal(Array.from(h.classes), [1, 0]);
});

test('missing files and malformed rows give clear errors', () => {
  const missing = join(dir, 'nope.csv.gz');
  throwsError(() => loadPhishing(missing), Error, /loadPhishing: file not found: .*nope\.csv\.gz/);
  throwsError(() => loadCsic(join(dir, 'nope.jsonl')), Error, /loadCsic: file not found/);
  throwsError(() => loadHttpParams(dir), Error, /not a file/);
  throwsError(() => loadPhishing(''), TypeError, /path/);
  throwsError(() => loadPhishing(file('hdr.csv', 'link,label\nx,1\n')), DataFormatError, /hdr\.csv:1: expected the header url,phishing/);
  throwsError(() => loadPhishing(file('lab.csv', 'url,phishing\n"a\n",1\nb,yes\n')), DataFormatError, /lab\.csv:4: label must be 0 or 1/);
  throwsError(() => loadPhishing(file('cols.csv', 'url,phishing\na,1,2\n')), DataFormatError, /cols\.csv:2: expected 2 fields, got 3/);
  throwsError(() => loadPhishing(file('empty.csv', '')), DataFormatError, /empty/);
  throwsError(() => loadPhishing(file('open.csv', 'url,phishing\n"a,1\n')), DataFormatError, /open\.csv:2: quoted field is never closed/);
  throwsError(() => loadPhishing(file('badgz.csv.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]))), Error, /does not decompress/);
  throwsError(() => loadHttpParams(file('type.csv', 'payload,length,attack_type,label\nx,1,ddos,anom\n')), DataFormatError, /type\.csv:2: attack_type must be one of/);
  throwsError(() => loadHttpParams(file('mix.csv', 'payload,length,attack_type,label\nx,1,sqli,norm\n')), DataFormatError, /mix\.csv:2: label norm contradicts attack_type sqli/);
});

test('the async forms: the same data sets as the sync forms, on a worker thread', async () => {
  // Each async load runs on its worker while its sync twin runs here.
  const phishing = loadPhishingAsync();
  const syncPhishing = loadPhishing();
  assert.equal(await phishing, syncPhishing);
  const csic = loadCsicAsync();
  const syncCsic = loadCsic();
  assert.equal(await csic, syncCsic);
  const http = loadHttpParamsAsync();
  const syncHttp = loadHttpParams();
  const h = await http;
  assert.equal(h, syncHttp);
  assert.is(h.classNames, HTTP_PARAMS_CLASSES, 'the same frozen list, as the sync form gives');
  const mine = file('h2.csv.gz', gzipSync('payload,length,attack_type,label\nabc,3,norm,norm\n<x>,3,xss,anom\n'));
  assert.equal(await loadHttpParamsAsync(mine), loadHttpParams(mine), 'a user\'s file, gzipped');
});

test('the async forms reject with the sync forms\' errors: class, message, fields and cause', async () => {
  const missing = join(dir, 'nope.csv.gz');
  await rejectsLikeSync(() => loadPhishing(missing), loadPhishingAsync(missing));
  await rejectsLikeSync(() => loadHttpParams(dir), loadHttpParamsAsync(dir));
  await rejectsLikeSync(() => loadPhishing(''), loadPhishingAsync(''));
  await rejectsLikeSync(() => loadPhishing(3 as never), loadPhishingAsync(3 as never));
  const lab = file('lab2.csv', 'url,phishing\n"a\n",1\nb,yes\n');
  const e = await rejectsLikeSync(() => loadPhishing(lab), loadPhishingAsync(lab));
  assert.ok(e instanceof DataFormatError && e.line === 4 && e.source === lab);
  const gz = file('badgz2.csv.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  assert.ok((await rejectsLikeSync(() => loadPhishing(gz), loadPhishingAsync(gz))).cause instanceof Error, 'the zlib error as the cause');
  const csic = file('bad4.jsonl', '\n\n{"method":1,"url":"/a","breach":0}');
  await rejectsLikeSync(() => loadCsic(csic), loadCsicAsync(csic));
  const mix = file('mix2.csv', 'payload,length,attack_type,label\nx,1,sqli,norm\n');
  await rejectsLikeSync(() => loadHttpParams(mix), loadHttpParamsAsync(mix));
  await rejectsError(loadCsicAsync(undefined, { signal: AbortSignal.abort() }), DOMException, /aborted/);
});

test('clean up', () => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
