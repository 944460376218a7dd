// The TypeScript side of argument checking, for the few wrappers that derive a size from a buffer
// before the native glue (which checks everything else) sees it.

/** True when the typed array's ArrayBuffer has been detached (transferred or structuredClone'd away). */
export function isDetached(a: ArrayBufferView): boolean {
  if (a.byteLength > 0) return false;
  try {
    new Uint8Array(a.buffer);
    return false;
  } catch {
    return true;
  }
}

/** Throws the glue's TypeError when `a` is a typed array whose buffer was detached (it would read as empty). */
export function checkAttached(fn: string, name: string, a: unknown): void {
  if (ArrayBuffer.isView(a) && isDetached(a)) throw new TypeError(`${fn}: ${name} is backed by a detached ArrayBuffer`);
}

/** Length of a Float32Array argument, with the errors the glue would give: TypeError for the wrong type or a detached buffer. */
export function f32Length(fn: string, name: string, a: unknown): number {
  if (!(a instanceof Float32Array)) throw new TypeError(`${fn}: ${name} must be a Float32Array`);
  checkAttached(fn, name, a);
  return a.length;
}
