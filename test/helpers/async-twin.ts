// An async form against its sync twin: the same error, down to the class, message, own fields and
// cause (a plain deep-equal of two errors compares none of these).
import * as assert from 'uvu/assert';

function sameError(got: unknown, want: unknown, where: string): void {
  if (!(want instanceof Error)) {
    assert.equal(got, want, `${where}: the thrown value`);
    return;
  }
  assert.ok(got instanceof Error, `${where}: expected an Error, got ${String(got)}`);
  assert.is(Object.getPrototypeOf(got), Object.getPrototypeOf(want), `${where}: expected a ${want.constructor.name}, got a ${got.constructor.name}: ${got.message}`);
  assert.is(got.message, want.message, `${where}: message`);
  assert.equal(Object.entries(got), Object.entries(want), `${where}: own fields`);
  assert.is(Object.hasOwn(got, 'cause'), Object.hasOwn(want, 'cause'), `${where}: a cause on one side only`);
  if (Object.hasOwn(want, 'cause')) sameError(got.cause, want.cause, `${where}'s cause`);
}

/** Asserts that `p` rejects with what `sync` throws (class, message, fields, cause); returns the rejection. */
export async function rejectsLikeSync(sync: () => unknown, p: Promise<unknown>): Promise<Error> {
  let want: unknown;
  let threw = false;
  try {
    sync();
  } catch (err) {
    want = err;
    threw = true;
  }
  assert.ok(threw, 'the sync form does not throw');
  try {
    await p;
  } catch (got) {
    sameError(got, want, 'the async form');
    return got as Error;
  }
  assert.unreachable(`the async form resolved; the sync form throws ${String(want)}`);
  throw new Error('unreachable');
}
