#!/usr/bin/env node
// `prepack` / `postpack`: puts this machine's Release build where the packed package's loader looks
// for it (prebuilds/<platform>-<arch>/vigil.node, node-gyp-build's layout), and takes it away again
// after packing so a checkout never loads a stale copy. `add` also clears dist/, which `prepare`
// (run by npm pack and publish after prepack) recompiles, so no file of a removed source travels.
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const prebuilds = join(root, 'prebuilds');
const build = join(root, 'build', 'Release', 'vigil.node');
const target = join(prebuilds, `${process.platform}-${process.arch}`, 'vigil.node');

const command = process.argv[2];
if (command === 'add') {
  if (!existsSync(build)) {
    console.error(`vigil prepack: ${relative(root, build)} is missing; build the addon first (npm run build:native)`);
    process.exit(1);
  }
  rmSync(prebuilds, { recursive: true, force: true });
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(build, target);
  console.error(`vigil prepack: ${relative(root, target)} (${statSync(target).size} bytes)`);
} else if (command === 'remove') {
  rmSync(prebuilds, { recursive: true, force: true });
} else {
  console.error('usage: node scripts/prebuilds.mjs add|remove');
  process.exit(2);
}
