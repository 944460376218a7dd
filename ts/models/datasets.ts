// Loaders for the data sets bundled in data/ (see data/README.md), or for a user's file in the same
// format. gzip is detected from the file's magic bytes, so a plain copy reads the same.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { offThread } from '../offthread/call.ts';
import { knownAsyncOptions } from './options.ts';
import { csvRecords, DataFormatError } from './preprocessing/csv.ts';

export { DataFormatError } from './preprocessing/csv.ts';

// ts/models/ (through tsx) and dist/models/ (published) both sit two levels below the package root.
const dataDir = new URL('../../data/', import.meta.url);

/** The bundled data's folder: data/ in a clone of the repository; the npm package leaves it out. */
export const BUNDLED_DATA_DIR = fileURLToPath(dataDir);

/**
 * The error for a path inside the bundled data folder when that folder is absent, as in an
 * installed package (the experiments' data stays in the repository); null for any other path, or
 * when the folder is there. `dataDir` is a parameter for the tests.
 */
export function missingDataError(what: string, path: string, dataDirPath: string = BUNDLED_DATA_DIR): Error | null {
  const rel = relative(dataDirPath, resolve(path));
  if (rel.startsWith('..') || isAbsolute(rel) || existsSync(dataDirPath)) return null;
  return new Error(
    `${what}: ${path} is bundled data, which is in vigil's repository, not the npm package; ` +
      'clone the repository to use it, or pass the path of your own file in the same format',
  );
}

/** Absolute paths of the bundled files. */
export const BUNDLED_DATA = {
  phishing: fileURLToPath(new URL('phishing/phishing.csv.gz', dataDir)),
  csic: fileURLToPath(new URL('weblogs/csic2010_requests.jsonl.gz', dataDir)),
  httpParams: fileURLToPath(new URL('weblogs/httpparams_payloads.csv.gz', dataDir)),
} as const;

/** A labelled text data set: texts[i] has label labels[i] (0 or 1). */
export interface TextDataset {
  texts: string[];
  labels: Int32Array;
  /**
   * Optional group id of each row: rows of one group are variants of the same item, and a split
   * keeps each group on one side (groupTrainTestSplit) so none is tested on a twin it trained on.
   */
  groups?: Int32Array;
}

export interface CsicDataset extends TextDataset {
  /** Lines in the file (requests before de-duplication). */
  rawRows: number;
  /** Distinct (method, url) pairs seen with both labels; they are left out of texts. */
  conflicting: number;
  /** Each row's content group (see loadCsic): ids 0.. in order of first appearance. */
  groups: Int32Array;
  /** Number of distinct groups. */
  groupCount: number;
}

/** HttpParams' attack types; `classes[i]` indexes this list. */
export const HTTP_PARAMS_CLASSES = ['norm', 'sqli', 'xss', 'path-traversal', 'cmdi'] as const;

export interface HttpParamsDataset extends TextDataset {
  /** Index into classNames of each row's attack type (0 = norm). */
  classes: Int32Array;
  classNames: readonly string[];
}

/** The options of the loaders' async forms. */
export interface LoadAsyncOptions {
  /** Stops the load: its worker thread is ended and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Reads a file as UTF-8 text, gunzipping it when it starts with the gzip magic bytes. */
export function readDataText(path: string, what: string): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`${what}: path must be a non-empty string, got ${String(path)}`);
  }
  if (!existsSync(path)) throw missingDataError(what, path) ?? new Error(`${what}: file not found: ${path}`);
  if (!statSync(path).isFile()) throw new Error(`${what}: not a file: ${path}`);
  let bytes: Buffer = readFileSync(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${what}: ${path} looks gzipped but does not decompress (${(err as Error).message})`, { cause: err });
    }
  }
  return bytes.toString('utf8');
}

function checkHeader(path: string, got: string[], want: readonly string[]): void {
  if (got.length !== want.length || got.some((h, k) => h.trim() !== want[k])) {
    throw new DataFormatError(path, 1, `expected the header ${want.join(',')}, got ${got.join(',')}`);
  }
}

/**
 * The key under which URLs that differ only trivially fall together: without the scheme, a
 * leading `www.` and trailing slashes, lower-cased (`http://www.X.com/a/` and `https://x.com/a`
 * name the same page).
 */
export function urlGroupKey(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^www\./i, '').replace(/\/+$/, '').toLowerCase();
}

/**
 * The phishing URL set: columns `url,phishing`, label 1 = phishing. URLs are trimmed (each one in
 * the bundled file ends in a newline inside its quotes). Rows keep the file's order, which is
 * sorted by label: shuffle or split before training.
 *
 * `groups` ties together URLs with the same urlGroupKey: the file lists some phishing pages two or
 * three times, with and without the scheme's `s`, `www.` or a trailing slash (in the bundled file
 * 732 groups of 2–3 rows hold 1,512 of the 31,956 rows, 160 of them exact copies, all phishing),
 * and a row split would test the model on a page it trained on (347 of the 10,546 held-out rows of
 * split 42). A split keeps each group on one side.
 */
export function loadPhishing(path: string = BUNDLED_DATA.phishing): TextDataset {
  const text = readDataText(path, 'loadPhishing');
  const texts: string[] = [];
  const labels: number[] = [];
  const groups: number[] = [];
  const groupOf = new Map<string, number>();
  let header = true;
  for (const { fields, line } of csvRecords(text, { source: path })) {
    if (header) {
      checkHeader(path, fields, ['url', 'phishing']);
      header = false;
      continue;
    }
    if (fields.length !== 2) throw new DataFormatError(path, line, `expected 2 fields, got ${fields.length}`);
    const label = fields[1].trim();
    if (label !== '0' && label !== '1') throw new DataFormatError(path, line, `label must be 0 or 1, got ${JSON.stringify(fields[1])}`);
    const url = fields[0].trim();
    const key = urlGroupKey(url);
    let g = groupOf.get(key);
    if (g === undefined) {
      g = groupOf.size;
      groupOf.set(key, g);
    }
    texts.push(url);
    labels.push(label === '1' ? 1 : 0);
    groups.push(g);
  }
  if (header) throw new DataFormatError(path, 1, 'the file is empty');
  return { texts, labels: Int32Array.from(labels), groups: Int32Array.from(groups) };
}

/**
 * CSIC 2010 requests, one JSON object a line: `{"method", "url", "breach": 0|1}`. Returns each
 * distinct (method, url) pair once, in order of first appearance, as the compact JSON text
 * `{"method":…,"url":…}` with its breach label: the file repeats many requests, and copies across
 * a split would inflate test scores. Non-ASCII characters stay as they are (JSON.stringify), not
 * \u-escaped as Python's json.dumps would write them. A pair seen with both labels is dropped and
 * counted in `conflicting` (the bundled file has none).
 *
 * `groups` ties together rows with the same url and different methods. CSIC writes a POST
 * request's body after a `?` in its url, so `GET /p?a=1` and `POST /p?a=1` carry the same path and
 * parameters, once in the query and once in the body: the same content. They stay separate rows
 * (the method is part of the request, and some PUT requests are attacks only by their method) but
 * share a group, which a split keeps on one side. In the bundled file 7,562 of the 12,504 groups
 * hold two or three rows (15,138 of the 20,080).
 */
export function loadCsic(path: string = BUNDLED_DATA.csic): CsicDataset {
  const text = readDataText(path, 'loadCsic');
  const seen = new Map<string, number>();
  const order: string[] = [];
  let rawRows = 0;
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new DataFormatError(path, lineNo, `not valid JSON (${(err as Error).message})`);
    }
    const r = row as { method?: unknown; url?: unknown; breach?: unknown };
    if (row === null || typeof row !== 'object' || typeof r.method !== 'string' || typeof r.url !== 'string') {
      throw new DataFormatError(path, lineNo, 'expected an object with string fields "method" and "url"');
    }
    if (r.breach !== 0 && r.breach !== 1) {
      throw new DataFormatError(path, lineNo, `"breach" must be 0 or 1, got ${JSON.stringify(r.breach)}`);
    }
    rawRows++;
    const key = JSON.stringify({ method: r.method, url: r.url });
    const prev = seen.get(key);
    if (prev === undefined) {
      seen.set(key, r.breach);
      order.push(key);
    } else if (prev !== r.breach) {
      seen.set(key, -1);
    }
  }
  const texts: string[] = [];
  const labels: number[] = [];
  const groups: number[] = [];
  const groupOf = new Map<string, number>();
  let conflicting = 0;
  for (const key of order) {
    const label = seen.get(key)!;
    if (label < 0) {
      conflicting++;
      continue;
    }
    const url = (JSON.parse(key) as { url: string }).url;
    let g = groupOf.get(url);
    if (g === undefined) {
      g = groupOf.size;
      groupOf.set(url, g);
    }
    texts.push(key);
    labels.push(label);
    groups.push(g);
  }
  return { texts, labels: Int32Array.from(labels), rawRows, conflicting, groups: Int32Array.from(groups), groupCount: groupOf.size };
}

/**
 * HttpParamsDataset: columns `payload,length,attack_type,label`; label `norm` -> 0, `anom` -> 1;
 * attack_type one of HTTP_PARAMS_CLASSES (and `norm` exactly when the label is). The length
 * column is not used (a few rows disagree with the payload's length).
 */
export function loadHttpParams(path: string = BUNDLED_DATA.httpParams): HttpParamsDataset {
  const text = readDataText(path, 'loadHttpParams');
  const classIndex = new Map<string, number>(HTTP_PARAMS_CLASSES.map((c, k) => [c, k]));
  const texts: string[] = [];
  const labels: number[] = [];
  const classes: number[] = [];
  let header = true;
  for (const { fields, line } of csvRecords(text, { source: path })) {
    if (header) {
      checkHeader(path, fields, ['payload', 'length', 'attack_type', 'label']);
      header = false;
      continue;
    }
    if (fields.length !== 4) throw new DataFormatError(path, line, `expected 4 fields, got ${fields.length}`);
    const [payload, , type, label] = fields;
    const cls = classIndex.get(type);
    if (cls === undefined) {
      throw new DataFormatError(path, line, `attack_type must be one of ${HTTP_PARAMS_CLASSES.join(', ')}, got ${JSON.stringify(type)}`);
    }
    if (label !== 'norm' && label !== 'anom') throw new DataFormatError(path, line, `label must be norm or anom, got ${JSON.stringify(label)}`);
    if ((label === 'norm') !== (cls === 0)) {
      throw new DataFormatError(path, line, `label ${label} contradicts attack_type ${type}`);
    }
    texts.push(payload);
    labels.push(label === 'anom' ? 1 : 0);
    classes.push(cls);
  }
  if (header) throw new DataFormatError(path, 1, 'the file is empty');
  return { texts, labels: Int32Array.from(labels), classes: Int32Array.from(classes), classNames: HTTP_PARAMS_CLASSES };
}

// The async forms: the same loaders on a worker thread (the bundled files take 20-200 ms each).
const LOADER_ERRORS = [DataFormatError];

/** loadPhishing on a worker thread: the same result, and the same errors as rejections. */
export async function loadPhishingAsync(path?: string, opts: LoadAsyncOptions = {}): Promise<TextDataset> {
  knownAsyncOptions('loadPhishingAsync', opts, []);
  return offThread(import.meta.url, 'loadPhishing', [path], { signal: opts?.signal, errors: LOADER_ERRORS });
}

/** loadCsic on a worker thread: the same result, and the same errors as rejections. */
export async function loadCsicAsync(path?: string, opts: LoadAsyncOptions = {}): Promise<CsicDataset> {
  knownAsyncOptions('loadCsicAsync', opts, []);
  return offThread(import.meta.url, 'loadCsic', [path], { signal: opts?.signal, errors: LOADER_ERRORS });
}

/** loadHttpParams on a worker thread: the same result, and the same errors as rejections. */
export async function loadHttpParamsAsync(path?: string, opts: LoadAsyncOptions = {}): Promise<HttpParamsDataset> {
  knownAsyncOptions('loadHttpParamsAsync', opts, []);
  const d = await offThread<HttpParamsDataset>(import.meta.url, 'loadHttpParams', [path], { signal: opts?.signal, errors: LOADER_ERRORS });
  // The sync form hands out the frozen HTTP_PARAMS_CLASSES itself, not a copy.
  return { ...d, classNames: HTTP_PARAMS_CLASSES };
}
