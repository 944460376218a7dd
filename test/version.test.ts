// vigil's version comes from package.json through ts/version.ts, from source and compiled alike, and
// every file vigil writes records it: the model file's header and the `vigil.version` of Sequential and
// detector ONNX exports (a detector's built on a worker thread by exportOnnx, on the caller's by detectorToOnnx).
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { vigilVersion } from '../ts/version.ts';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const dir = mkdtempSync(join(tmpdir(), 'vigil-version-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const run = promisify(execFile);

test('vigilVersion is package.json\'s version', () => {
  assert.type(PACKAGE_VERSION, 'string');
  assert.is(vigilVersion(), PACKAGE_VERSION);
});

test('compiled (dist/version.js below a package.json), it reads that package\'s version', async () => {
  // What `tsc -p tsconfig.build.json` makes of ts/version.ts (an ES module: package.json says "type": "module"),
  // in a package whose version differs from ours.
  const src = readFileSync(new URL('../ts/version.ts', import.meta.url), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  const pkg = join(dir, 'pkg');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'vigil', version: '9.8.7-test', type: 'module' }));
  writeFileSync(join(pkg, 'dist', 'version.js'), js);
  const mod = (await import(pathToFileURL(join(pkg, 'dist', 'version.js')).href)) as { vigilVersion(): string };
  assert.is(mod.vigilVersion(), '9.8.7-test');
  // Without a readable package.json it says so instead of throwing.
  rmSync(join(pkg, 'package.json'));
  const again = (await import(`${pathToFileURL(join(pkg, 'dist', 'version.js')).href}?again`)) as { vigilVersion(): string };
  assert.is(again.vigilVersion(), 'unknown');
});

// The exports run from a copy of ts/ in a package whose version is not ours: a version written anywhere
// else than package.json (a literal, say) shows up as a mismatch even while it equals our version.
const EXPORTS_SCRIPT = `
import { Dense, IsolationForest, Sequential } from './ts/index.ts';
import { detectorToOnnx } from './ts/models/onnx/detectors/index.ts';
import { exportOnnx } from './ts/models/onnx/export/index.ts';
import { decodeModel } from './ts/models/onnx/proto.ts';
import { readFileSync } from 'node:fs';
import { decodeModelFile } from './ts/models/serialize.ts';
import { tensor } from './ts/models/tensor.ts';
const version = (bytes) => decodeModel(bytes).metadata_props.find((e) => e.key === 'vigil.version')?.value;
const model = new Sequential([new Dense(3, { activation: 'relu' }), new Dense(1)], { seed: 1 });
model.build([4]);
await model.save('m.vigil');
const rows = Float32Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const det = await new IsolationForest({ nEstimators: 5, seed: 2 }).fit(tensor(rows, [64, 4]));
console.log(JSON.stringify({
  sequential: version(await exportOnnx(model)),
  detectorSync: version(detectorToOnnx(det)),
  detectorWorker: version(await exportOnnx(det)),
  modelFile: decodeModelFile(readFileSync('m.vigil'), 'm').header.vigilVersion,
}));
`;

test('Sequential and detector ONNX exports and the model file record package.json\'s version', async () => {
  const pkg = join(dir, 'copy');
  cpSync(fileURLToPath(new URL('../ts', import.meta.url)), join(pkg, 'ts'), { recursive: true });
  symlinkSync(fileURLToPath(new URL('../node_modules', import.meta.url)), join(pkg, 'node_modules'));
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'vigil', version: '9.8.7-test', type: 'module' }));
  writeFileSync(join(pkg, 'exports.mts'), EXPORTS_SCRIPT);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'exports.mts'], {
    cwd: pkg, env: { ...process.env, VIGIL_ADDON: fileURLToPath(new URL('../build/Release/vigil.node', import.meta.url)) },
  });
  const got = JSON.parse(stdout) as Record<string, string>;
  assert.equal(got, { sequential: '9.8.7-test', detectorSync: '9.8.7-test', detectorWorker: '9.8.7-test', modelFile: '9.8.7-test' });
});

test.run();
