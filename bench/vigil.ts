// Loads vigil's pieces for the bench without making a missing one fatal: bindings that other helpers
// are still writing are imported by path at run time (so the type-check does not need them yet), and an
// unbuilt addon becomes a printed note rather than a crash.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bindings = join(dirname(fileURLToPath(import.meta.url)), '..', 'ts', 'bindings');

export type Loaded<T> = { ok: true; value: T } | { ok: false; why: string };

function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** Imports ts/bindings/<family>.ts, or says why it cannot be. */
export async function loadBinding<T>(family: string): Promise<Loaded<T>> {
  const file = join(bindings, `${family}.ts`);
  if (!existsSync(file)) return { ok: false, why: `ts/bindings/${family}.ts is not on this branch yet` };
  try {
    return { ok: true, value: (await import(pathToFileURL(file).href)) as T };
  } catch (e) {
    return { ok: false, why: `ts/bindings/${family}.ts failed to load (${reason(e)})` };
  }
}

/** Sets vigil's pool size; fails (with the reason) when the addon is not built. */
export async function setVigilThreads(n: number): Promise<Loaded<number>> {
  const b = await loadBinding<{ setNumThreads(n: number): void; getNumThreads(): number }>('backend');
  if (!b.ok) return b;
  try {
    b.value.setNumThreads(n);
    return { ok: true, value: b.value.getNumThreads() };
  } catch (e) {
    return { ok: false, why: reason(e) };
  }
}
