// Loads the compiled addon once. Each family's binding file (ts/bindings/<family>.ts) types the
// functions it uses; locate.ts decides where the binary comes from, this file only loads it.
import { createRequire } from 'node:module';
import { addonCandidates, addonNotFoundError, locateAddon, PACKAGE_ROOT, realHost } from './locate.ts';
import type { AddonCandidate, AddonHost } from './locate.ts';

const require = createRequire(import.meta.url);

function load(host: AddonHost): unknown {
  let pick: AddonCandidate = locateAddon(host);
  for (;;) {
    try {
      return require(pick.path);
    } catch (err) {
      // A CUDA build that will not load (driver too old, library missing) falls back to the
      // CPU binaries after it, as node-llama-cpp falls back from a GPU build; any other binary
      // that exists but fails is a broken install, reported as such.
      const message = (err as Error).message;
      if (pick.source !== 'CUDA package') {
        const e = addonNotFoundError(host, [pick], `${pick.path} exists but does not load: ${message}`);
        (e as Error & { cause: unknown }).cause = err;
        throw e;
      }
      const rest = addonCandidates(host);
      const next = rest.slice(rest.findIndex((c) => c.path === pick.path) + 1).find((c) => host.exists(c.path));
      if (next === undefined) throw addonNotFoundError(host, rest, `the CUDA package does not load: ${message}`);
      process.emitWarning(`vigil: the CUDA package does not load (${message}); using ${next.source} ${next.path}`);
      pick = next;
    }
  }
}

let loaded: unknown;

/** The addon's exports, typed by the caller (each binding file declares the slice it uses). */
export function addon<T>(): T {
  if (loaded === undefined) loaded = load(realHost(PACKAGE_ROOT));
  return loaded as T;
}
