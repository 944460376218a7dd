// Input for streamed scoring: a file path or any byte stream (a Node Readable, an async iterable of
// Buffers or strings) in, decoded text out, a piece at a time. gzip is recognised by its magic
// bytes (or a .gz name) and inflated on the way, so the compressed file is never held whole.
// Nothing here reads ahead of its consumer: each piece is pulled when the parser asks for it, so a
// slow consumer pauses the file read (the Readable's own backpressure).
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/** What streamed scoring reads: a file path, or a stream of bytes (or already decoded text). */
export type StreamInput = string | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export type InputFormat = 'csv' | 'jsonl' | 'lines';
export const INPUT_FORMATS: readonly InputFormat[] = ['csv', 'jsonl', 'lines'];

/** Pieces read from a file at a time: large enough that per-piece costs vanish, small beside memory. */
export const READ_CHUNK = 1 << 20;

/** The format a file name implies (a trailing .gz is ignored), or null when it says nothing. */
export function inputFormatFor(name: string): InputFormat | null {
  const base = name.toLowerCase().replace(/\.gz$/, '');
  if (/\.(jsonl|ndjson)$/.test(base)) return 'jsonl';
  if (/\.(txt|log|lines)$/.test(base)) return 'lines';
  if (/\.(csv|tsv)$/.test(base)) return 'csv';
  return null;
}

/** The file name behind an input, when it has one (a path, or a stream opened by fs.createReadStream). */
export function inputName(input: StreamInput): string | null {
  if (typeof input === 'string') return input;
  const path = (input as { path?: unknown }).path;
  return typeof path === 'string' ? path : null;
}

function isIterable(x: unknown): x is AsyncIterable<unknown> | Iterable<unknown> {
  return x !== null && typeof x === 'object' && (Symbol.asyncIterator in x || Symbol.iterator in x);
}

export interface TextOptions {
  /** Name for messages (the file name when known). */
  source: string;
  /** Called with the size of every raw (possibly compressed) piece read. */
  onBytes?: (bytes: number) => void;
}

function bytesOf(piece: unknown, source: string): Uint8Array | string {
  if (typeof piece === 'string' || piece instanceof Uint8Array) return piece;
  throw new TypeError(`${source}: the input must yield Buffers, Uint8Arrays or strings, got ${piece === null ? 'null' : typeof piece}`);
}

/** Checks `input` (a TypeError naming it) and opens a path; nothing is read yet. */
export function openInput(fn: string, input: StreamInput): AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> {
  if (typeof input === 'string') {
    if (input.length === 0) throw new TypeError(`${fn}: input must be a file path, a Readable or an iterable of Buffers/strings, got ''`);
    return createReadStream(input, { highWaterMark: READ_CHUNK });
  }
  if (!isIterable(input)) {
    throw new TypeError(`${fn}: input must be a file path, a Readable or an iterable of Buffers/strings, got ${input === null ? 'null' : typeof input}`);
  }
  return input;
}

/**
 * The text of `input`, piece by piece: gunzipped when it starts with gzip's magic bytes (or its
 * name ends in .gz), decoded as UTF-8 (a BOM dropped, invalid bytes as U+FFFD, as readDataText).
 * Breaking out of the loop closes the input.
 */
export async function* inputText(input: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, o: TextOptions): AsyncGenerator<string> {
  const it = Symbol.asyncIterator in input ? input[Symbol.asyncIterator]() : (input as Iterable<Uint8Array | string>)[Symbol.iterator]();
  const pull = async (): Promise<Uint8Array | string | null> => {
    const r = await it.next();
    if (r.done) return null;
    const piece = bytesOf(r.value, o.source);
    o.onBytes?.(typeof piece === 'string' ? piece.length : piece.byteLength);
    return piece;
  };
  try {
    // Enough bytes to see the magic number.
    let head: Uint8Array | string | null = await pull();
    while (head instanceof Uint8Array && head.byteLength < 2) {
      const more = await pull();
      if (more === null) break;
      head = typeof more === 'string' ? Buffer.concat([head, Buffer.from(more)]) : Buffer.concat([head, more]);
    }
    if (head === null) return;
    const magic = head instanceof Uint8Array && head.byteLength >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const raw = async function* (): AsyncGenerator<Uint8Array | string> {
      yield head!;
      for (let p = await pull(); p !== null; p = await pull()) yield p;
    };
    if (magic || /\.gz$/i.test(o.source)) {
      yield* gunzipText(raw(), o.source);
      return;
    }
    const decoder = utf8();
    for await (const p of raw()) {
      const s = typeof p === 'string' ? decoder.end() + p : decoder.write(p);
      if (s.length > 0) yield s;
    }
    const last = decoder.end();
    if (last.length > 0) yield last;
  } finally {
    await it.return?.();
  }
}

async function* gunzipText(raw: AsyncGenerator<Uint8Array | string>, source: string): AsyncGenerator<string> {
  const src = Readable.from(raw, { objectMode: false });
  const gunzip = createGunzip();
  src.on('error', (err) => gunzip.destroy(err));
  src.pipe(gunzip);
  const decoder = utf8();
  try {
    for await (const b of gunzip) {
      const s = decoder.write(b as Buffer);
      if (s.length > 0) yield s;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
      throw new Error(`${source} looks gzipped but does not decompress (${e.message})`, { cause: err });
    }
    throw err;
  } finally {
    src.destroy();
  }
  const last = decoder.end();
  if (last.length > 0) yield last;
}

/**
 * A UTF-8 decoder across pieces that drops a leading BOM. Node's StringDecoder rather than
 * TextDecoder: it is native and keeps ASCII text in one-byte strings, half the memory and garbage.
 */
function utf8(): { write(b: Uint8Array): string; end(): string } {
  const d = new StringDecoder('utf8');
  let first = true;
  const bom = (s: string) => {
    if (!first || s.length === 0) return s;
    first = false;
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  };
  return { write: (b) => bom(d.write(b as Buffer)), end: () => bom(d.end()) };
}
