// Where the compiled addon comes from. A pure function of an injected view of the machine (files,
// platform, environment), so the order and the error text are tested without touching the disk;
// addon.ts calls it with the real one. The layout mimics node-gyp-build's prebuilds/<platform>-<arch>/
// without taking a dependency for forty lines.
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The optional platform package holding the CUDA build (as sharp's @img/* and node-llama-cpp's). */
export const CUDA_PACKAGE = '@vigil/linux-x64-cuda';

/** The command a consumer runs to compile the addon when no binary fits. */
export const BUILD_FROM_SOURCE = 'npm install-scripts approve vigil && npm rebuild vigil';

export type AddonSource = 'VIGIL_ADDON' | 'local Release build' | 'local Debug build' | 'CUDA package' | 'prebuilt';

export interface AddonCandidate {
  path: string;
  source: AddonSource;
}

/** What locating the addon needs to know about the machine. */
export interface AddonHost {
  /** The package root (holds build/ in a clone, prebuilds/ in a packed copy). */
  root: string;
  env: Readonly<Record<string, string | undefined>>;
  platform: string;
  arch: string;
  /** glibc's version, or null where the C library is another (musl) or the OS is not Linux. */
  glibc: string | null;
  exists(path: string): boolean;
  /** The folder of an installed package, or null when it is not installed. */
  packageDir(name: string): string | null;
  /** Whether an NVIDIA GPU is visible (a /dev/nvidia* device). */
  hasGpu(): boolean;
}

/** The name a prebuilt folder carries, node-gyp-build style: `linux-x64`. */
export function platformTag(host: Pick<AddonHost, 'platform' | 'arch'>): string {
  return `${host.platform}-${host.arch}`;
}

function describePlatform(host: AddonHost): string {
  const libc = host.platform !== 'linux' ? '' : host.glibc === null ? ', not glibc (musl?)' : `, glibc ${host.glibc}`;
  return `${platformTag(host)}${libc}`;
}

/**
 * Every place the addon may be, best first: VIGIL_ADDON, a local development build, the CUDA
 * package (only when installed and a GPU is present), the prebuilt binary inside the package (only
 * on the platform it was built for: linux-x64 with glibc).
 */
export function addonCandidates(host: AddonHost): AddonCandidate[] {
  return [...candidatesInOrder(host)];
}

// Lazily, so that a development build or VIGIL_ADDON is found without asking for the C library.
function* candidatesInOrder(host: AddonHost): Generator<AddonCandidate> {
  const override = host.env.VIGIL_ADDON;
  if (override !== undefined && override !== '') yield { path: override, source: 'VIGIL_ADDON' };
  yield { path: join(host.root, 'build', 'Release', 'vigil.node'), source: 'local Release build' };
  yield { path: join(host.root, 'build', 'Debug', 'vigil.node'), source: 'local Debug build' };
  const glibcLinux = host.platform === 'linux' && host.glibc !== null;
  if (glibcLinux && host.arch === 'x64') {
    const dir = host.packageDir(CUDA_PACKAGE);
    if (dir !== null && host.hasGpu()) yield { path: join(dir, 'vigil.node'), source: 'CUDA package' };
  }
  // The prebuilt is glibc-linked; on musl it would fail to load with an obscure dlopen message.
  if (host.platform !== 'linux' || glibcLinux) {
    yield { path: join(host.root, 'prebuilds', platformTag(host), 'vigil.node'), source: 'prebuilt' };
  }
}

/** The error for a machine with no usable binary: names the platform and how to build one. */
export function addonNotFoundError(host: AddonHost, looked: readonly AddonCandidate[], detail?: string): Error {
  const lines = [
    `vigil: no usable native addon for ${describePlatform(host)}${detail === undefined ? '' : ` (${detail})`}.`,
    'Looked in:',
    ...looked.map((c) => `  ${c.path} (${c.source})`),
    `vigil ships a prebuilt binary for linux-x64 with glibc only. To build it from source, run in your project:`,
    `  ${BUILD_FROM_SOURCE}`,
    'That needs cmake >= 3.18, make and a C++17 compiler (g++ or clang++); no Python. ' +
      '(In a clone of the repository: npm run build:native.) Or set VIGIL_ADDON to the path of a vigil.node you built.',
  ];
  return new Error(lines.join('\n'));
}

/**
 * The binary to load. VIGIL_ADDON, when set, must exist: a caller who names a file wants that
 * file, not a silent fallback to another build.
 */
export function locateAddon(host: AddonHost): AddonCandidate {
  for (const c of candidatesInOrder(host)) {
    if (host.exists(c.path)) return c;
    if (c.source === 'VIGIL_ADDON') throw addonNotFoundError(host, [c], `VIGIL_ADDON names a file that does not exist: ${c.path}`);
  }
  throw addonNotFoundError(host, addonCandidates(host));
}

function glibcVersion(): string | null {
  if (process.platform !== 'linux') return null;
  // The report's header says which C library Node runs on; skip its network section (slow), and
  // leave the user's report setting as it was.
  const report = process.report as { excludeNetwork?: boolean; getReport(): unknown };
  const before = report.excludeNetwork;
  report.excludeNetwork = true;
  try {
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return header?.glibcVersionRuntime ?? null;
  } finally {
    report.excludeNetwork = before;
  }
}

/** This process's machine; `root` is the package root. */
export function realHost(root: string): AddonHost {
  const require = createRequire(join(root, 'package.json'));
  let glibc: string | null | undefined;
  return {
    root,
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    // Read only when a candidate needs it (the CUDA package, the prebuilt, the error): a report
    // costs milliseconds, and a development build or VIGIL_ADDON never asks.
    get glibc() {
      if (glibc === undefined) glibc = glibcVersion();
      return glibc;
    },
    exists: existsSync,
    packageDir(name) {
      // Node's own search path, without resolve(): a package whose `exports` omits package.json
      // would make require.resolve('<name>/package.json') throw although it is installed.
      for (const dir of require.resolve.paths(name) ?? []) {
        if (existsSync(join(dir, name, 'package.json'))) return join(dir, name);
      }
      return null;
    },
    hasGpu() {
      try {
        return readdirSync('/dev').some((f) => f.startsWith('nvidia'));
      } catch {
        return false;
      }
    },
  };
}

// Both ts/bindings/ (run through tsx) and dist/bindings/ (published) sit two levels below the root.
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
