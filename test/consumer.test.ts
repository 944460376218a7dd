// The consumer's install, end to end: `npm pack` this checkout, install the tarball into a fresh
// project with npm's defaults (no install script approved, no build tools used), and run a plain
// JavaScript app there (test/consumer/app.mjs) that trains and scores an LSTM and an isolation
// forest and runs their ONNX files on onnxruntime-node. Then the same install without its prebuilt
// binary must fail with the loader's explanation. Needs the npm registry (or npm's cache) for
// vigil's dependencies; VIGIL_CONSUMER_REBUILD=1 also checks the documented build from source
// (minutes: it compiles the addon).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'vigil-consumer-'));
const app = join(work, 'app');

// A consumer's environment, not this test run's: npm_* variables that `npm test` exports (prefix,
// config, lifecycle event) would otherwise steer the nested npm commands. onnxruntime-node's
// postinstall would fetch a CUDA provider from outside npm (and, offline, roll the install back).
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'VIGIL_ADDON'),
);
env.ONNXRUNTIME_NODE_INSTALL = 'skip';
const opts = (cwd: string) => ({ cwd, env, timeout: 600_000, maxBuffer: 64 << 20 });

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

let tarball = '';

test('npm pack: the tarball holds what a consumer needs and nothing of the repository\'s own', async () => {
  const dest = join(work, 'pack');
  mkdirSync(dest);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest], opts(root));
  const [packed] = JSON.parse(stdout) as PackResult[];
  tarball = join(dest, packed!.filename);
  assert.ok(existsSync(tarball));
  const paths = packed!.files.map((f) => f.path);
  for (const need of [
    'package.json', 'README.md', 'LICENSE', 'third_party/onnx/LICENSE', 'prebuilds/linux-x64/vigil.node', 'dist/index.js', 'dist/index.d.ts',
    'dist/cli.js', 'dist/bindings/locate.js', 'scripts/install.mjs', 'CMakeLists.txt', 'native/cpu/lstm.cc',
  ]) {
    assert.ok(paths.includes(need), `${need} is packed`);
  }
  const stray = paths.filter((p) => /^(test|data|bench|ts|build|\.ci)\/|\.map$|^tsconfig|package-lock/.test(p));
  assert.equal(stray, [], 'nothing of tests, data, bench, sources or build folders');
  // postpack takes the copied binary away again: the checkout keeps loading its own build.
  assert.not.ok(existsSync(join(root, 'prebuilds')), 'prebuilds/ removed after packing');
});

test('a fresh project installs the tarball with npm\'s defaults and compiles nothing', async () => {
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'vigil-consumer', version: '1.0.0', private: true, type: 'module' }));
  copyFileSync(join(root, 'test', 'consumer', 'app.mjs'), join(app, 'app.mjs'));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], opts(app));
  const pkg = join(app, 'node_modules', 'vigil');
  assert.ok(existsSync(join(pkg, 'prebuilds', 'linux-x64', 'vigil.node')));
  assert.not.ok(existsSync(join(pkg, 'build')), 'the install script kept the prebuilt (no cmake-js build)');
});

test('the app imports vigil, trains and scores an LSTM and an isolation forest, runs their ONNX files', async () => {
  const { stdout } = await run(process.execPath, ['app.mjs'], opts(app));
  const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.equal(Object.keys(out), ['backend', 'lstm', 'forest', 'bundledData']);
  assert.is((out.forest as { scores: number[] }).scores.length, 2);
});

test('the vigil command runs from the consumer project', async () => {
  const { stdout } = await run(join(app, 'node_modules', '.bin', 'vigil'), ['--help'], opts(app));
  assert.match(stdout, /usage: vigil eval/);
});

test('without the prebuilt, importing works and the first native call explains how to build', async () => {
  rmSync(join(app, 'node_modules', 'vigil', 'prebuilds'), { recursive: true });
  const probe = "import('vigil').then((v) => v.backend()).then(() => process.exit(3), (e) => { console.error(e.message); process.exit(4); })";
  let code = 0;
  let stderr = '';
  try {
    await run(process.execPath, ['-e', probe], opts(app));
  } catch (err) {
    ({ code, stderr } = err as { code: number; stderr: string });
  }
  assert.is(code, 4, stderr);
  assert.match(stderr, /no usable native addon for linux-x64, glibc \d/);
  assert.ok(stderr.includes('npm install-scripts approve vigil && npm rebuild vigil'), stderr);
  assert.match(stderr, /cmake/);
  assert.not.match(stderr, /Cannot find module/);
});

if (process.env.VIGIL_CONSUMER_REBUILD === '1') {
  test('the documented build from source restores it', async () => {
    await run('npm', ['install-scripts', 'approve', 'vigil'], opts(app));
    await run('npm', ['rebuild', 'vigil'], opts(app));
    assert.ok(existsSync(join(app, 'node_modules', 'vigil', 'build', 'Release', 'vigil.node')));
    const { stdout } = await run(process.execPath, ['app.mjs'], opts(app));
    assert.match(stdout, /"bundledData":"explained"/);
  });
}

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
