// Where the addon is loaded from: the order of the candidates, the VIGIL_ADDON override, the CUDA
// package only with a GPU, the prebuilt only on glibc linux-x64, and an error that names the
// platform and the build-from-source command. Files are real, in a temporary folder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { addonCandidates, BUILD_FROM_SOURCE, CUDA_PACKAGE, locateAddon, PACKAGE_ROOT, realHost } from '../ts/bindings/locate.ts';
import type { AddonHost } from '../ts/bindings/locate.ts';
import { throwsError } from './helpers/errors.ts';

let n = 0;
function fixture(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), `vigil-locate-${n++}-`));
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  return root;
}

function host(root: string, over: Partial<AddonHost> = {}): AddonHost {
  return {
    root: join(root, 'pkg'),
    env: {},
    platform: 'linux',
    arch: 'x64',
    glibc: '2.39',
    exists: existsSync,
    packageDir: (name) => (name === CUDA_PACKAGE && existsSync(join(root, 'cuda')) ? join(root, 'cuda') : null),
    hasGpu: () => true,
    ...over,
  };
}

const ALL = ['pkg/build/Release/vigil.node', 'pkg/build/Debug/vigil.node', 'cuda/vigil.node', 'pkg/prebuilds/linux-x64/vigil.node', 'mine.node'];

test('candidates in order: VIGIL_ADDON, Release, Debug, CUDA package, prebuilt', () => {
  const root = fixture(ALL);
  const h = host(root, { env: { VIGIL_ADDON: join(root, 'mine.node') } });
  assert.equal(
    addonCandidates(h).map((c) => [c.source, c.path]),
    [
      ['VIGIL_ADDON', join(root, 'mine.node')],
      ['local Release build', join(root, 'pkg/build/Release/vigil.node')],
      ['local Debug build', join(root, 'pkg/build/Debug/vigil.node')],
      ['CUDA package', join(root, 'cuda/vigil.node')],
      ['prebuilt', join(root, 'pkg/prebuilds/linux-x64/vigil.node')],
    ],
  );
});

test('the first existing candidate wins, each one falling back to the next', () => {
  const files = [...ALL];
  const root = fixture(files);
  const h = host(root, { env: { VIGIL_ADDON: join(root, 'mine.node') } });
  assert.is(locateAddon(h).source, 'VIGIL_ADDON');
  const h2 = host(root);
  assert.is(locateAddon(h2).source, 'local Release build');
  const only = (keep: string) => host(root, { exists: (p) => p.endsWith(keep) && existsSync(p) });
  assert.is(locateAddon(only('Debug/vigil.node')).source, 'local Debug build');
  assert.is(locateAddon(only('cuda/vigil.node')).source, 'CUDA package');
  assert.is(locateAddon(only('linux-x64/vigil.node')).path, join(root, 'pkg/prebuilds/linux-x64/vigil.node'));
});

test('the CUDA package is used only when installed and a GPU is present', () => {
  const root = fixture(['cuda/vigil.node', 'pkg/prebuilds/linux-x64/vigil.node']);
  assert.is(locateAddon(host(root)).source, 'CUDA package');
  assert.is(locateAddon(host(root, { hasGpu: () => false })).source, 'prebuilt');
  assert.is(locateAddon(host(root, { packageDir: () => null })).source, 'prebuilt');
  // It is a linux-x64 glibc build: elsewhere it is not even looked up.
  const asked: string[] = [];
  const arm = host(root, { arch: 'arm64', packageDir: (name) => (asked.push(name), null) });
  assert.ok(!addonCandidates(arm).some((c) => c.source === 'CUDA package'));
  assert.equal(asked, []);
});

test('VIGIL_ADDON naming a missing file is an error, not a silent fallback', () => {
  const root = fixture(ALL);
  const h = host(root, { env: { VIGIL_ADDON: join(root, 'nope.node') } });
  throwsError(() => locateAddon(h), Error, /VIGIL_ADDON names a file that does not exist: .*nope\.node/);
  // Empty means unset.
  assert.is(locateAddon(host(root, { env: { VIGIL_ADDON: '' } })).source, 'local Release build');
});

test('no binary: the error names the platform, every place looked and how to build from source', () => {
  const root = fixture([]);
  let message = '';
  try {
    locateAddon(host(root));
  } catch (err) {
    message = (err as Error).message;
  }
  assert.match(message, /no usable native addon for linux-x64, glibc 2\.39/);
  assert.ok(message.includes(BUILD_FROM_SOURCE), message);
  assert.ok(message.includes('npm install-scripts approve vigil && npm rebuild vigil'));
  assert.match(message, /cmake/);
  assert.match(message, /C\+\+17 compiler/);
  assert.match(message, /no Python/);
  assert.ok(message.includes(join(root, 'pkg/prebuilds/linux-x64/vigil.node')), message);
  assert.ok(message.includes(join(root, 'pkg/build/Release/vigil.node')), message);
  assert.not.match(message, /Cannot find module/);
});

test('a prebuilt for another platform is not there; musl skips the glibc prebuilt', () => {
  const root = fixture(['pkg/prebuilds/linux-x64/vigil.node']);
  throwsError(() => locateAddon(host(root, { platform: 'darwin', arch: 'arm64', glibc: null })), Error, /no usable native addon for darwin-arm64\./);
  const musl = host(root, { glibc: null });
  assert.ok(!addonCandidates(musl).some((c) => c.source === 'prebuilt'));
  throwsError(() => locateAddon(musl), Error, /linux-x64, not glibc \(musl\?\)/);
});

test('this checkout: the real host finds the local build and reports glibc', () => {
  const h = realHost(PACKAGE_ROOT);
  assert.is(h.platform, process.platform);
  if (process.platform === 'linux') assert.match(String(h.glibc), /^\d+\.\d+/);
  assert.is(h.packageDir('uvu') !== null, true);
  assert.is(h.packageDir('@vigil/surely-not-installed'), null);
  assert.is(locateAddon(h).source, process.env.VIGIL_ADDON ? 'VIGIL_ADDON' : 'local Release build');
});

test.run();
