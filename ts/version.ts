// vigil's own version, from its package.json, for the files it writes (the model file's header, the
// `vigil.version` of ONNX exports) and the version checks on reading them. A module of its own that
// imports nothing of vigil's: the ONNX detector conversions on a worker thread (models/onnx/detectors/convert.ts) need
// the version too, and must not load the native addon that serialize.ts's imports bring in.
import { readFileSync } from 'node:fs';

let version: string | null = null;

/**
 * The `version` of vigil's package.json, or 'unknown' when it can't be read. This file is ts/version.ts
 * (run by tsx) or dist/version.js (compiled, tsconfig.build.json's rootDir ts -> outDir dist): either
 * way package.json is one directory up.
 */
export function vigilVersion(): string {
  if (version === null) {
    try {
      const v = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version;
      version = typeof v === 'string' ? v : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
