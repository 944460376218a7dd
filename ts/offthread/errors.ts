// Errors across the worker boundary. Structured clone keeps only a built-in error's name, message
// and stack: a DataFormatError would arrive as a plain Error without its `source` and `line`. So the
// worker sends the class name, message, stack, own enumerable fields and cause, and the caller
// rebuilds an instance of the same class (one of the built-ins or of the classes it names) with the
// same fields, without running the class's constructor (DataFormatError's would prefix the message
// a second time).

/** What a worker posts for a thrown value. */
export type WireError =
  | { error: { ctor: string; message: string; stack: string | undefined; fields: Record<string, unknown>; cause?: WireError } }
  | { thrown: unknown };

/** An error class whose instances may cross the boundary (its constructor is never called). */
export type ErrorClass = abstract new (...args: never[]) => Error;

const BUILT_IN: readonly ErrorClass[] = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];

function cloneable(v: unknown): boolean {
  try {
    structuredClone(v);
    return true;
  } catch {
    return false;
  }
}

/** The wire form of a thrown value (worker side). */
export function serializeError(err: unknown): WireError {
  if (!(err instanceof Error)) return { thrown: cloneable(err) ? err : String(err) };
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(err)) {
    const v = (err as unknown as Record<string, unknown>)[k];
    if (cloneable(v)) fields[k] = v;
  }
  const out: WireError = { error: { ctor: err.constructor?.name ?? 'Error', message: err.message, stack: err.stack, fields } };
  if (Object.hasOwn(err, 'cause')) out.error.cause = serializeError(err.cause);
  return out;
}

/**
 * The thrown value again (caller side): an instance of the class named `ctor` among `classes` and
 * the built-ins (else an Error carrying the same name), with the same message, fields and cause.
 * Its stack is the worker's, then the caller's frames from `callerStack` (captured where the async
 * call was made), so it names both the line that threw and the line that asked.
 */
export function rebuildError(w: WireError, classes: readonly ErrorClass[], callerStack?: string): unknown {
  if ('thrown' in w) return w.thrown;
  const { ctor, message, stack, fields, cause } = w.error;
  const cls = [...classes, ...BUILT_IN].find((c) => c.name === ctor) ?? Error;
  const args = cause === undefined ? [message] : [message, { cause: rebuildError(cause, classes) }];
  // Error's own constructor with cls's prototype: a real error object (stack, cause, inspect) of
  // that class, as `new cls(...)` would make, minus the constructor's own logic.
  const e = Reflect.construct(Error, args, cls) as Error;
  for (const [k, v] of Object.entries(fields)) Object.defineProperty(e, k, { value: v, writable: true, enumerable: true, configurable: true });
  const frames = callerStack?.split('\n').slice(1).join('\n');
  if (stack !== undefined) Object.defineProperty(e, 'stack', { value: frames ? `${stack}\n${frames}` : stack, writable: true, configurable: true });
  return e;
}
