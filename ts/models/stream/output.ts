// Scored batches out as text, in the order they come (the pipeline's order, the input's): CSV with
// a header `row[,id],score[,prediction]`, or one JSON object per line. Writes wait for the
// destination to drain, so a slow disk or pipe slows the scoring instead of filling memory.
import { once } from 'node:events';
import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { FileWriteError, holdTemp, releaseTemp, tempPathFor } from '../../io/atomic.ts';
import type { ScoredBatch } from './pipeline.ts';

export type OutputFormat = 'csv' | 'jsonl';

/** JSON lines for a .jsonl or .ndjson name, CSV otherwise. */
export function outputFormatFor(name: string | null): OutputFormat {
  return name !== null && /\.(jsonl|ndjson)$/i.test(name) ? 'jsonl' : 'csv';
}

/** Which optional columns the results carry. */
export interface OutputColumns {
  ids: boolean;
  predictions: boolean;
}

/** A score as the shortest decimal that reads back as the same float32. */
export function formatScore(s: number): string {
  for (let p = 6; p < 9; p++) {
    const t = s.toPrecision(p);
    if (Math.fround(Number(t)) === s) return String(Number(t));
  }
  return String(s);
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function outputHeader(format: OutputFormat, c: OutputColumns): string {
  if (format === 'jsonl') return '';
  return `${['row', ...(c.ids ? ['id'] : []), 'score', ...(c.predictions ? ['prediction'] : [])].join(',')}\n`;
}

/** One batch's lines. */
export function formatBatch(format: OutputFormat, b: ScoredBatch): string {
  const n = b.scores.length;
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const score = formatScore(b.scores[i]);
    if (format === 'csv') {
      let line = String(b.rows[i]);
      if (b.ids) line += `,${csvField(b.ids[i])}`;
      line += `,${score}`;
      if (b.predictions) line += `,${b.predictions[i]}`;
      parts[i] = line;
    } else {
      let line = `{"row":${b.rows[i]}`;
      if (b.ids) line += `,"id":${JSON.stringify(b.ids[i])}`;
      // NaN and infinities are not JSON numbers.
      line += `,"score":${Number.isFinite(b.scores[i]) ? score : 'null'}`;
      if (b.predictions) line += `,"prediction":${b.predictions[i]}`;
      parts[i] = `${line}}`;
    }
  }
  return n === 0 ? '' : `${parts.join('\n')}\n`;
}

/** Where results go: a Writable, or anything with write() (a test's capture). */
export type Destination = Writable | { write(text: string): unknown };

/** Writes `text`, waiting for a Writable to drain when its buffer is full; a failed Writable throws its error. */
export async function writeText(out: Destination, text: string): Promise<void> {
  if (text.length === 0) return;
  const failed = (out as Writable).errored;
  if (failed) throw failed;
  if (out.write(text) === false && 'once' in out) await once(out, 'drain');
}

/**
 * The output file: a regular file (or a new one) is written atomically: results go to a temporary
 * file beside `path`, renamed over it by commit() (keeping an existing file's permissions), and
 * abort() removes it, so a failed run leaves no half-written file at `path`. Anything else that
 * exists at `path` (/dev/stdout, /dev/null, a FIFO) is written in place: renaming over it would
 * replace the device or pipe with a file. Opening fails at once, naming `path`.
 */
export async function openOutputFile(path: string): Promise<{ stream: Writable; commit(): Promise<void>; abort(): Promise<void> }> {
  const fail = (err: unknown): never => {
    throw new FileWriteError(path, err);
  };
  const old = await stat(path).catch(() => null);
  const inPlace = old !== null && !old.isFile();
  const target = inPlace ? path : tempPathFor(path);
  if (!inPlace) holdTemp(target);
  const fh = await open(target, inPlace ? 'w' : 'wx').catch((err) => {
    releaseTemp(target);
    return fail(err);
  });
  const stream = fh.createWriteStream();
  const closed = new Promise<void>((ok, bad) => {
    stream.once('close', ok);
    stream.once('error', bad);
  });
  closed.catch(() => undefined);
  return {
    stream,
    async commit() {
      stream.end();
      try {
        await closed;
        if (inPlace) return;
        if (old) await chmod(target, old.mode & 0o7777);
        await rename(target, path);
      } catch (err) {
        if (!inPlace) await rm(target, { force: true });
        fail(err);
      } finally {
        releaseTemp(target);
      }
    },
    async abort() {
      stream.destroy();
      await closed.catch(() => undefined);
      if (!inPlace) await rm(target, { force: true });
      releaseTemp(target);
    },
  };
}

/**
 * Writes the header and every batch of `results` to `out`, in order, and resolves to the number
 * of rows written; `onBatch` sees each batch after it is written.
 */
export async function writeScores(results: AsyncIterable<ScoredBatch>, out: Destination, format: OutputFormat, columns: OutputColumns,
  onBatch?: (b: ScoredBatch) => void): Promise<number> {
  let rows = 0;
  await writeText(out, outputHeader(format, columns));
  for await (const b of results) {
    await writeText(out, formatBatch(format, b));
    rows += b.scores.length;
    onBatch?.(b);
  }
  return rows;
}
