// The buffers a worker's result can hand over instead of copying: every ArrayBuffer under it, found
// through arrays, plain objects, Maps and Sets. A buffer Node marks untransferable (its Buffer pool)
// is copied by postMessage instead, so a Buffer in a result is safe, only not moved.
export function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
    } else if (v instanceof ArrayBuffer) {
      out.add(v);
    } else if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k);
        visit(x);
      }
    } else if (v instanceof Set || Array.isArray(v)) {
      for (const x of v) visit(x);
    } else {
      for (const x of Object.values(v)) visit(x);
    }
  };
  visit(value);
  return [...out];
}
