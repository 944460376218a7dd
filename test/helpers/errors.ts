// Error assertions that check the class. uvu's assert.throws(fn, TypeError) calls TypeError(err)
// as a predicate, which is always truthy: it would pass on any error. Use these instead.
import * as assert from 'uvu/assert';

type ErrorClass = new (...args: never[]) => Error;

function check(err: unknown, type: ErrorClass, pattern: RegExp | undefined): void {
  const got = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  assert.ok(err instanceof type, `expected ${type.name}, got ${got}`);
  if (pattern) assert.match((err as Error).message, pattern);
}

/** Asserts that fn throws an instance of `type` whose message matches `pattern`. */
export function throwsError(fn: () => unknown, type: ErrorClass, pattern?: RegExp): void {
  try {
    fn();
  } catch (err) {
    check(err, type, pattern);
    return;
  }
  assert.unreachable(`expected ${type.name} to be thrown`);
}

/** Asserts that the promise (or the promise fn returns) rejects with an instance of `type`. */
export async function rejectsError(
  p: Promise<unknown> | (() => Promise<unknown>),
  type: ErrorClass,
  pattern?: RegExp,
): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    check(err, type, pattern);
    return;
  }
  assert.unreachable(`expected a rejection with ${type.name}`);
}
