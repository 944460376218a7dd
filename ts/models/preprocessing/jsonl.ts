// JSON Lines: one JSON value per line. Text and files are separate calls, because a string alone
// cannot say whether it is a path or a one-line document.
import { readDataText } from '../datasets.ts';
import type { LoadAsyncOptions } from '../datasets.ts';
import { offThread } from '../../offthread/call.ts';
import { knownAsyncOptions } from '../options.ts';
import { DataFormatError } from './csv.ts';

/**
 * The values of the JSON lines in `text`. Lines end at LF or CRLF; blank lines (only
 * whitespace) are skipped; a line that is not JSON is a DataFormatError naming `source` and its
 * 1-based line number.
 */
export function parseJsonLines<T = unknown>(text: string, source = 'jsonl'): T[] {
  if (typeof text !== 'string') throw new TypeError(`parseJsonLines: text must be a string, got ${typeof text}`);
  const out: T[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const s = text.slice(start, end);
    start = end + 1;
    if (s.trim() === '') continue;
    out.push(parseJsonLine(s, source, line) as T);
  }
  return out;
}

/** One line's JSON value; a line that is not JSON is a DataFormatError naming `source` and `line`. */
export function parseJsonLine(s: string, source: string, line: number): unknown {
  try {
    return JSON.parse(s);
  } catch (err) {
    throw new DataFormatError(source, line, `not a JSON value (${(err as Error).message})`);
  }
}

/** The values of the JSON lines in the file at `path` (gzip read transparently); see parseJsonLines. */
export function readJsonLines<T = unknown>(path: string): T[] {
  return parseJsonLines<T>(readDataText(path, 'readJsonLines'), path);
}

/** readJsonLines on a worker thread: the same values, and the same errors as rejections. */
export async function readJsonLinesAsync<T = unknown>(path: string, opts: LoadAsyncOptions = {}): Promise<T[]> {
  knownAsyncOptions('readJsonLinesAsync', opts, []);
  return offThread(import.meta.url, 'readJsonLines', [path], { signal: opts?.signal, errors: [DataFormatError] });
}
