// Writing a file atomically, the one way vigil does it (model files, --json reports, NAB results,
// pictures, tensors): the bytes go to a temporary file beside the target (the same directory, so
// the rename never crosses a file system), are fsynced, and the temporary file is renamed over the
// target, keeping an existing file's permissions; the directory is then fsynced (best effort) so
// that the rename survives a crash too. On any failure the temporary file is removed and a file
// already at the target is left as it was: a reader sees the old file or the new one, never half.
//
// An existing target that is not a regular file (/dev/stdout, /dev/null, a FIFO) is written in
// place: renaming over it would replace the device or pipe with a file.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A failed write; `reason` says why in a few words, `cause` is the underlying error. */
export class FileWriteError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, cause: unknown) {
    const reason = describe(cause);
    super(`cannot write ${path}: ${reason}`, { cause });
    this.name = 'FileWriteError';
    this.path = path;
    this.reason = reason;
  }
}

// Node's own messages name the temporary file, which the user never asked for.
const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && Object.hasOwn(REASONS, code)) return REASONS[code]!;
  return err instanceof Error ? err.message : String(err);
}

/** Tests' hook: runs between writing the temporary file and renaming it over the target. */
export interface AtomicWriteHooks {
  beforeRename?: (tmp: string) => void | Promise<void>;
}

/** A fresh temporary name beside `path`, hidden, ending in .tmp (so leftovers are easy to spot). */
export function tempPathFor(path: string): string {
  return join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

// The temporary files of writes under way in this thread, so that a signal handler (the CLI's, on
// Ctrl-C during a long `vigil score --output`) can remove them: a target is never touched before
// its rename, but a killed process would leave its hidden temporary file behind.
const pending = new Set<string>();

/** Marks a temporary file as in use (until releaseTemp) for removePendingTempFiles. */
export function holdTemp(tmp: string): void {
  pending.add(tmp);
}

export function releaseTemp(tmp: string): void {
  pending.delete(tmp);
}

/** Removes the temporary files of every write still under way in this thread (for signal handlers: synchronous). */
export function removePendingTempFiles(): void {
  for (const tmp of pending) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing more to do on the way out
    }
  }
  pending.clear();
}

function checkPath(fn: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${fn}: path must be a non-empty string`);
}

function refuseFolder(path: string, old: Stats | null): void {
  if (old?.isDirectory()) throw new FileWriteError(path, Object.assign(new Error('it is a folder'), { code: 'EISDIR' }));
}

/** Writes `data` to `path` atomically (see the top of this file); a failure is a FileWriteError. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, hooks: AtomicWriteHooks = {}): Promise<void> {
  checkPath('writeFileAtomic', path);
  const old = await stat(path).catch(() => null);
  refuseFolder(path, old);
  if (old && !old.isFile()) {
    await writeFile(path, data).catch((err) => { throw new FileWriteError(path, err); });
    return;
  }
  const tmp = tempPathFor(path);
  holdTemp(tmp);
  let created = false;
  try {
    const fh = await open(tmp, 'wx', 0o644);
    created = true;
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (old) await chmod(tmp, old.mode & 0o7777);
    await hooks.beforeRename?.(tmp);
    await rename(tmp, path);
    created = false;
  } catch (err) {
    if (created) await rm(tmp, { force: true }).catch(() => undefined);
    throw new FileWriteError(path, err);
  } finally {
    releaseTemp(tmp);
  }
  try {
    const d = await open(dirname(resolve(path)), 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Not every platform can fsync a directory; the file itself is complete and synced.
  }
}

/** writeFileAtomic's synchronous twin (for code that runs on a worker thread already). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, hooks: { beforeRename?: (tmp: string) => void } = {}): void {
  checkPath('writeFileAtomicSync', path);
  let old: Stats | null = null;
  try {
    old = statSync(path);
  } catch {
    // no file there yet (or a path that can't hold one: opening the temporary file says why)
  }
  refuseFolder(path, old);
  if (old && !old.isFile()) {
    try {
      writeFileSync(path, data);
    } catch (err) {
      throw new FileWriteError(path, err);
    }
    return;
  }
  const tmp = tempPathFor(path);
  holdTemp(tmp);
  let created = false;
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    created = true;
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (old) chmodSync(tmp, old.mode & 0o7777);
    hooks.beforeRename?.(tmp);
    renameSync(tmp, path);
    created = false;
  } catch (err) {
    if (created) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // the write's own error is the one to report
      }
    }
    throw new FileWriteError(path, err);
  } finally {
    releaseTemp(tmp);
  }
  try {
    const d = openSync(dirname(resolve(path)), 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // as above
  }
}
