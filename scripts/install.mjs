#!/usr/bin/env node
// vigil's `install` script. A packed vigil carries a prebuilt addon (prebuilds/<platform>-<arch>/),
// so installing it compiles nothing; it compiles with cmake-js only
//   - in a git clone (developing vigil: `npm ci` builds the addon, as CI expects),
//   - when asked: `--build-from-source`, or npm's `--build-from-source` flag
//     (npm_config_build_from_source), e.g. `npm rebuild vigil --build-from-source`,
//   - when no prebuilt binary fits this machine (another platform, musl, a package without one).
// Plain JavaScript: it runs before any TypeScript tooling is there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const truthy = (v) => v !== undefined && v !== '' && v !== 'false' && v !== '0';

/** Why to compile, or null to keep the prebuilt binary. */
async function reasonToBuild() {
  if (process.argv.includes('--build-from-source') || truthy(process.env.npm_config_build_from_source)) {
    return 'a build from source was asked for';
  }
  if (existsSync(join(root, '.git'))) return 'a git checkout';
  // The loader's own rules say whether the packed prebuilt fits (platform, arch, glibc).
  const locate = join(root, 'dist', 'bindings', 'locate.js');
  if (!existsSync(locate)) return 'this copy has no compiled loader (dist/)';
  const { addonCandidates, platformTag, realHost } = await import(pathToFileURL(locate).href);
  const host = realHost(root);
  const prebuilt = addonCandidates(host).find((c) => c.source === 'prebuilt');
  if (prebuilt !== undefined && existsSync(prebuilt.path)) return null;
  return `no prebuilt binary fits ${platformTag(host)}${host.platform === 'linux' && host.glibc === null ? ' (not glibc)' : ''}`;
}

const reason = await reasonToBuild();
if (reason === null) {
  process.exit(0);
}
const cmakeJs = createRequire(join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
console.log(`vigil: compiling the native addon (${reason}) with cmake-js; needs cmake >= 3.18, make and a C++17 compiler`);
const run = spawnSync(process.execPath, [cmakeJs, 'compile', '--CDVIGIL_CUDA=AUTO'], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) {
  console.error(
    'vigil: building the native addon failed (see above). Install cmake (>= 3.18), make and a C++17 compiler (g++ or clang++), ' +
      'then run `npm rebuild vigil`.',
  );
  process.exit(run.status ?? 1);
}
