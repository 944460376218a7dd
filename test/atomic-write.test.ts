// io/atomic.ts, the one atomic file writer (model files, --json reports, NAB results, pictures,
// tensors): a finished write replaces the file whole, a failed one leaves the old file as it was
// and no temporary file behind, for both the async writer and its sync twin.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileWriteError, removePendingTempFiles, tempPathFor, writeFileAtomic, writeFileAtomicSync } from '../ts/io/atomic.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-atomic-'));
const leftovers = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

/** The async writer and its sync twin behind one async signature, so every case runs on both. */
const writers = {
  async: writeFileAtomic,
  sync: async (path: string, data: string | Uint8Array, hooks: { beforeRename?: (tmp: string) => void } = {}) => writeFileAtomicSync(path, data, hooks),
};

for (const [name, write] of Object.entries(writers)) {
  test(`${name}: writes a new file, replaces an old one whole and keeps its permissions`, async () => {
    const d = mkdtempSync(join(dir, `${name}-ok-`));
    const p = join(d, 'report.json');
    await write(p, 'first\n');
    assert.is(readFileSync(p, 'utf8'), 'first\n');
    chmodSync(p, 0o600);
    await write(p, new TextEncoder().encode('second\n'));
    assert.is(readFileSync(p, 'utf8'), 'second\n');
    assert.is(statSync(p).mode & 0o777, 0o600);
    assert.equal(leftovers(d), []);
  });

  test(`${name}: a failure before the rename leaves the old file intact and no temporary file`, async () => {
    const d = mkdtempSync(join(dir, `${name}-fail-`));
    const p = join(d, 'report.json');
    writeFileSync(p, 'precious');
    let tmp = '';
    await rejectsError(() => write(p, 'new', { beforeRename: (t) => { tmp = t; throw new Error('disk on fire'); } }),
      FileWriteError, /cannot write .*report\.json: disk on fire/);
    assert.ok(tmp.startsWith(join(d, '.report.json.')) && tmp.endsWith('.tmp'), tmp);
    assert.is(readFileSync(p, 'utf8'), 'precious');
    assert.equal(leftovers(d), []);
  });

  test(`${name}: a rename that fails (the target became a folder) removes the temporary file`, async () => {
    const d = mkdtempSync(join(dir, `${name}-rename-`));
    const p = join(d, 'out.json');
    // The target turns into a non-empty folder between the write and the rename: rename(2) itself fails.
    await rejectsError(() => write(p, 'new', { beforeRename: () => { mkdirSync(p); writeFileSync(join(p, 'inside'), 'kept'); } }),
      FileWriteError, /cannot write .*out\.json: /);
    assert.is(readFileSync(join(p, 'inside'), 'utf8'), 'kept');
    assert.equal(leftovers(d), []);
  });

  test(`${name}: a folder, a missing folder and a path below a file fail at once, naming the path and why`, async () => {
    const d = mkdtempSync(join(dir, `${name}-bad-`));
    mkdirSync(join(d, 'taken'));
    writeFileSync(join(d, 'taken', 'inside'), 'kept');
    writeFileSync(join(d, 'file'), 'x');
    await rejectsError(() => write(join(d, 'taken'), 'new'), FileWriteError, /cannot write .*taken: it is a folder$/);
    await rejectsError(() => write(join(d, 'no-such-dir', 'a.json'), 'new'), FileWriteError, /no-such-dir\/a\.json: its folder does not exist$/);
    await rejectsError(() => write(join(d, 'file', 'a.json'), 'new'), FileWriteError, /file\/a\.json: a part of the path is not a folder$/);
    assert.is(readFileSync(join(d, 'taken', 'inside'), 'utf8'), 'kept');
    assert.is(readFileSync(join(d, 'file'), 'utf8'), 'x');
    assert.equal(leftovers(d), []);
  });
}

// Async only: the sync writer would block this thread opening the FIFO until a reader opens the
// other end, and the reader needs this thread's event loop.
test('a FIFO is written into, not replaced by a file', async () => {
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const received = new Promise<string>((ok, bad) => {
    const chunks: Buffer[] = [];
    createReadStream(fifo).on('data', (c) => chunks.push(c as Buffer)).on('end', () => ok(Buffer.concat(chunks).toString('utf8'))).on('error', bad);
  });
  await writeFileAtomic(fifo, 'through the pipe\n');
  assert.is(await received, 'through the pipe\n');
  assert.ok(statSync(fifo).isFIFO());
  assert.equal(leftovers(dir), []);
});

test('removePendingTempFiles removes the temporary file of a write under way, and only those', async () => {
  const d = mkdtempSync(join(dir, 'pending-'));
  writeFileSync(join(d, 'done.json'), 'x');
  await writeFileAtomic(join(d, 'done.json'), 'finished');
  let seen = '';
  // What the CLI's signal handler does mid-write: the temporary file goes, the target stays as it was.
  await rejectsError(() => writeFileAtomic(join(d, 'done.json'), 'new', { beforeRename: (tmp) => { seen = tmp; removePendingTempFiles(); } }),
    FileWriteError, /done\.json/);
  assert.ok(seen.endsWith('.tmp'));
  assert.equal(leftovers(d), []);
  assert.is(readFileSync(join(d, 'done.json'), 'utf8'), 'finished');
  removePendingTempFiles();
  assert.equal(readdirSync(d), ['done.json']);
});

test('an empty path is a TypeError; temporary names are hidden, unique and beside the target', async () => {
  await rejectsError(() => writeFileAtomic('', 'x'), TypeError, /writeFileAtomic: path must be a non-empty string/);
  throwsError(() => writeFileAtomicSync('', 'x'), TypeError, /writeFileAtomicSync: path must be a non-empty string/);
  const a = tempPathFor(join(dir, 'm.vigil'));
  assert.ok(a.startsWith(join(dir, '.m.vigil.')) && a.endsWith('.tmp'), a);
  assert.is.not(a, tempPathFor(join(dir, 'm.vigil')));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
