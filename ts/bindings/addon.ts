// Loads the compiled addon once. Each family's binding file (ts/bindings/<family>.ts) types the
// functions it uses; this file only finds the binary.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Both ts/bindings/ (run through tsx) and dist/bindings/ (published) sit two levels below the root.
const root = join(here, '..', '..');

function locate(): string {
  const candidates = [
    process.env.VIGIL_ADDON,
    join(root, 'build', 'Release', 'vigil.node'),
    join(root, 'build', 'Debug', 'vigil.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  for (const p of candidates) if (existsSync(p)) return p;
  throw new Error(
    `vigil: the native addon is not built for ${process.platform}-${process.arch} (looked in ${candidates.join(', ')}). ` +
      'Build it from the package root with `npm run build:native` (needs cmake, a C++17 compiler and Node headers).',
  );
}

let loaded: unknown;

/** The addon's exports, typed by the caller (each binding file declares the slice it uses). */
export function addon<T>(): T {
  if (loaded === undefined) loaded = createRequire(import.meta.url)(locate());
  return loaded as T;
}
