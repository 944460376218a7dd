// The checks of the files and folders the `vigil` flags name, made before any work starts so that a
// typo costs nothing: inputs exist, are readable and of the right kind (exit 1, one line naming the
// flag); outputs go into an existing folder that takes new files, and no output replaces an input
// (usage errors, exit 2).
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MAGIC, ModelFileError, readModelFile } from '../models/serialize.ts';
import type { DecodedModelFile } from '../models/serialize.ts';
import { UsageError } from './common.ts';

export function fileFlag(flag: string, v: string | undefined, required: boolean): string | undefined {
  if (v === undefined) {
    if (required) throw new UsageError(`${flag} FILE is required`);
    return undefined;
  }
  if (v === '') throw new UsageError(`${flag} needs a file name`);
  return v;
}

/** A readable file a flag names that is missing, a folder, empty or of the wrong kind: exit 1, one line. */
export class InputFileError extends Error {
  constructor(flag: string, path: string, why: string, cause?: unknown) {
    super(`${flag} ${path}: ${why}`, cause === undefined ? undefined : { cause });
    this.name = 'InputFileError';
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The first bytes of a file (fewer when it is shorter). */
function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The file an input flag names, checked before any work: it exists, is not a folder, can be read
 * and is not empty. `text` input (CSV, JSON lines, text lines; gzipped or not) must also not be a
 * vigil model file or other binary file, the usual mix-up of two file flags, and `onnx` input not a
 * vigil model file. Pipes and devices (/dev/stdin, <(zcat ...)) pass unread.
 */
export function inputFile(flag: string, v: string | undefined, required: boolean, kind: 'text' | 'onnx' | 'binary'): string | undefined {
  const path = fileFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (!st) throw new InputFileError(flag, path, 'no such file');
  if (st.isDirectory()) throw new InputFileError(flag, path, 'is a folder, not a file');
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new InputFileError(flag, path, 'cannot be read (permission denied)', err);
  }
  if (!st.isFile()) return path;
  if (st.size === 0) throw new InputFileError(flag, path, 'is empty');
  if (kind === 'binary') return path;
  const b = head(path, 4096);
  const vigilModel = b.subarray(0, MAGIC.length).toString('latin1') === MAGIC;
  if (kind === 'onnx' && vigilModel) throw new InputFileError(flag, path, 'is a vigil model file, not an ONNX file (vigil export writes one from it)');
  if (kind === 'text') {
    const gzip = b[0] === 0x1f && b[1] === 0x8b;
    if (vigilModel) throw new InputFileError(flag, path, 'is a vigil model file, not a data file');
    // UTF-16 with its byte-order mark (Excel's "Unicode text"): text in an encoding vigil does not read.
    const utf16 = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
    if (utf16) throw new InputFileError(flag, path, 'is UTF-16 text; save it as UTF-8');
    if (!gzip && b.includes(0)) throw new InputFileError(flag, path, 'is a binary file, not text (CSV, JSON lines or text lines)');
  }
  return path;
}

/**
 * Reads the model file `flag` names (once) and builds what the command needs from it; the file's own
 * problems (not a model file, corrupted, from a newer vigil, a model the build refuses) are
 * reported as `flag path: why`.
 */
export async function readModelFlag<T>(flag: string, path: string, build: (file: DecodedModelFile) => T): Promise<T> {
  try {
    return build(await readModelFile(path));
  } catch (err) {
    if (err instanceof ModelFileError && err.path === path) throw new InputFileError(flag, path, err.detail, err);
    throw err;
  }
}

/** The folder an input flag names: it exists and is a folder. */
export function inputDir(flag: string, v: string | undefined, required: boolean): string | undefined {
  const path = dirFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (!st) throw new InputFileError(flag, path, 'no such folder');
  if (!st.isDirectory()) throw new InputFileError(flag, path, 'is a file, not a folder');
  return path;
}

function dirFlag(flag: string, v: string | undefined, required: boolean): string | undefined {
  if (v === undefined) {
    if (required) throw new UsageError(`${flag} DIR is required`);
    return undefined;
  }
  if (v === '') throw new UsageError(`${flag} needs a folder name`);
  return v;
}

/** Usage errors for a place to write `path` into: its folder must exist and take new files. */
function checkParent(flag: string, path: string): void {
  const parent = dirname(resolve(path));
  const st = statOrNull(parent);
  if (!st) throw new UsageError(`${flag} ${path}: the folder ${parent} does not exist`);
  if (!st.isDirectory()) throw new UsageError(`${flag} ${path}: ${parent} is not a folder`);
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: no permission to write in ${parent}`);
  }
}

/**
 * The file an output flag names, checked before any work (a long training run must not end in "no
 * such folder"): not a folder, and in an existing folder that takes new files. An existing file is
 * replaced atomically when the command is done.
 */
export function outputFile(flag: string, v: string | undefined, required: boolean): string | undefined {
  const path = fileFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (st?.isDirectory()) throw new UsageError(`${flag} ${path} is a folder; give a file name`);
  // A device or pipe (/dev/stdout) is written in place; a file goes in beside it and is renamed.
  if (!st || st.isFile()) checkParent(flag, path);
  return path;
}

/** The folder an output flag names: an existing folder, or a new one in an existing folder. */
export function outputDir(flag: string, v: string | undefined, required: boolean): string | undefined {
  const path = dirFlag(flag, v, required);
  if (path === undefined) return undefined;
  const st = statOrNull(path);
  if (st && !st.isDirectory()) throw new UsageError(`${flag} ${path} is a file, not a folder`);
  if (!st) checkParent(flag, path);
  return path;
}

/** A file's identity: device and inode when it exists (links and other spellings agree), else its absolute path. */
function fileKey(path: string): string | null {
  const st = statOrNull(path);
  if (!st) return resolve(path);
  // Devices and pipes (/dev/stdout) may be named twice: nothing is replaced.
  return st.isFile() ? `${st.dev}:${st.ino}` : null;
}

/**
 * Refuses a command line that names one file twice where one of the two is written: `--model
 * data.csv` would replace the training data with the model once training is done, `--json` over
 * `--model` the model with its report.
 */
export function distinctFiles(outputs: Array<[flag: string, path: string | undefined]>, inputs: Array<[flag: string, path: string | undefined]>): void {
  const taken: Array<[string, string]> = [];
  for (const [flag, path] of inputs) {
    const key = path === undefined ? null : fileKey(path);
    if (key !== null) taken.push([flag, key]);
  }
  for (const [flag, path] of outputs) {
    const key = path === undefined ? null : fileKey(path);
    if (key === null) continue;
    const other = taken.find(([, k]) => k === key);
    if (other) throw new UsageError(`${flag} ${path} is the file ${other[0]} names too; writing it would replace that file`);
    taken.push([flag, key]);
  }
}
