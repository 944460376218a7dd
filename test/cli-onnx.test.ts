// `vigil score` on ONNX files with both engines and `vigil import`: PyTorch's exports give PyTorch's
// outputs to 1e-4 (the bar; in practice ~1e-7), and each other's, from numpy .npy and JSON inputs; a graph that
// can't be imported fails clearly under --engine native and still runs under onnxruntime.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../ts/cli.ts';
import { DataType, GraphBuilder, valueInfo } from '../ts/models/onnx/build.ts';
import { floatTensor } from '../ts/models/onnx/proto.ts';
import { readNpy } from '../ts/models/preprocessing/npy.ts';
import { fixture, maxAbsDiff, ONNX_FIXTURES } from './helpers/onnx-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-onnx-'));

async function vigil(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, progressStream: null });
  return { code, out: out.join(''), err: err.join('') };
}

for (const [name, input] of [['text_lstm_last', 'npy'], ['stacked_lstm', 'npy'], ['causal_tcn', 'json'], ['conv_seq', 'npy']] as const) {
  test(`vigil score ${name} (.${input} in): both engines give PyTorch's outputs`, async () => {
    const f = fixture(name);
    let x = join(ONNX_FIXTURES, `${name}_input.npy`);
    if (input === 'json') {
      x = join(dir, `${name}.json`);
      const rows = f.input.shape[0]!, per = f.input.data.length / rows;
      // A nested array as a user would write it: [rows][1][30].
      writeFileSync(x, JSON.stringify(Array.from({ length: rows }, (_, r) => [f.input.data.slice(r * per, (r + 1) * per)])));
    }
    const byEngine = new Map<string, Float32Array>();
    for (const engine of ['native', 'onnxruntime']) {
      for (const file of f.files) {
        const y = join(dir, `${name}-${engine}-${file}.npy`);
        const r = await vigil('score', '--model', join(ONNX_FIXTURES, file), '--input', x, '--output', y, '--engine', engine);
        assert.is(r.code, 0, r.err);
        assert.match(r.err, engine === 'native' ? /native \(vigil\)/ : /onnxruntime \(cpu|cuda\)/);
        const out = readNpy(readFileSync(y));
        assert.is(out.dtype, 'float32');
        assert.equal(out.shape, f.output.shape);
        const e = maxAbsDiff(out.data as Float32Array, f.output.data);
        assert.ok(e <= 1e-4, `${engine} ${file}: max |y - torch| = ${e}`);
        const other = byEngine.get(file);
        if (other) {
          const d = maxAbsDiff(out.data as Float32Array, other);
          assert.ok(d <= 1e-4, `${file}: max |native - onnxruntime| = ${d}`);
        }
        byEngine.set(file, out.data as Float32Array);
      }
    }
  });
}

test('JSON output, and vigil import -> a .vigil file the native engine scores the same', async () => {
  const f = fixture('text_lstm_max');
  const x = join(ONNX_FIXTURES, 'text_lstm_max_input.npy');
  const yJson = join(dir, 'max.json');
  assert.is((await vigil('score', '--model', join(ONNX_FIXTURES, f.files[0]!), '--input', x, '--output', yJson)).code, 0);
  const nested = JSON.parse(readFileSync(yJson, 'utf8')) as number[][];
  assert.is(nested.length, f.output.shape[0]);
  assert.ok(maxAbsDiff(nested.flat(), f.output.data) <= 1e-4);

  const saved = join(dir, 'max.vigil');
  const imp = await vigil('import', join(ONNX_FIXTURES, f.files[1]!), '--out', saved);
  assert.is(imp.code, 0, imp.err);
  assert.match(imp.out, /GlobalMaxPooling1D/);
  const y = join(dir, 'max-vigil.npy');
  const r = await vigil('score', '--model', saved, '--input', x, '--output', y);
  assert.is(r.code, 0, r.err);
  assert.ok(maxAbsDiff(readNpy(readFileSync(y)).data as Float32Array, f.output.data) <= 1e-4);
});

test('a graph vigil cannot import fails under --engine native, and runs under onnxruntime', async () => {
  const g = new GraphBuilder();
  g.reserve('x', 'y');
  const w = g.constant(floatTensor('W', [3, 2], [0.5, -1, 2, 0.25, -0.5, 1]));
  const [mm] = g.add('MatMul', ['x', w]);
  g.add('LeakyRelu', [mm!], { alpha: { f: 0.1 } }, ['y']);
  const model = join(dir, 'leaky.onnx');
  writeFileSync(model, g.toBytes({ inputs: [valueInfo('x', DataType.FLOAT, ['batch', 3])], outputs: [valueInfo('y', DataType.FLOAT, ['batch', 2])] }));
  const x = join(dir, 'leaky-x.json');
  writeFileSync(x, JSON.stringify([[1, 2, 3], [-1, 0.5, 2]]));
  const y = join(dir, 'leaky-y.json');
  const native = await vigil('score', '--model', model, '--input', x, '--output', y, '--engine', 'native');
  assert.is(native.code, 1);
  assert.match(native.err, /LeakyRelu node 'LeakyRelu_node': operator LeakyRelu is not supported .*run it with OnnxModel \(onnxruntime\) instead/);
  const ort = await vigil('score', '--model', model, '--input', x, '--output', y);
  assert.is(ort.code, 0, ort.err);
  const got = (JSON.parse(readFileSync(y, 'utf8')) as number[][]).flat();
  const want = [1 * 0.5 + 2 * 2 + 3 * -0.5, 1 * -1 + 2 * 0.25 + 3 * 1, -1 * 0.5 + 0.5 * 2 + 2 * -0.5, -1 * -1 + 0.5 * 0.25 + 2 * 1].map((v) => (v < 0 ? 0.1 * v : v));
  assert.ok(maxAbsDiff(got, want) <= 1e-6, `${got} vs ${want}`);
});

test('bad command lines and inputs: usage errors exit 2, bad files exit 1 naming the problem', async () => {
  const f = fixture('causal_tcn');
  const model = join(ONNX_FIXTURES, f.files[0]!);
  const x = join(ONNX_FIXTURES, 'causal_tcn_input.npy');
  assert.is((await vigil('score', '--model', model, '--input', x, '--output', join(dir, 'y.csv'))).code, 2);
  assert.is((await vigil('score', '--model', model, '--input', x, '--output', join(dir, 'y.npy'), '--engine', 'gpu')).code, 2);
  const bad = join(dir, 'bad.npy');
  writeFileSync(bad, readFileSync(x).subarray(0, 200));
  const trunc = await vigil('score', '--model', model, '--input', bad, '--output', join(dir, 'y.npy'));
  assert.is(trunc.code, 1);
  assert.match(trunc.err, /truncated \.npy data/);
  const ids = await vigil('score', '--model', join(ONNX_FIXTURES, fixture('text_lstm_last').files[0]!), '--input', x, '--output', join(dir, 'y.npy'));
  assert.is(ids.code, 1);
  assert.match(ids.err, /element 0 is .*not a valid int64 value/);
  const shape = join(dir, 'shape.json');
  writeFileSync(shape, JSON.stringify([[1, 2], [3, 4]]));
  const wrong = await vigil('score', '--model', model, '--input', shape, '--output', join(dir, 'y.npy'));
  assert.is(wrong.code, 1);
  assert.match(wrong.err, /has 2 dims \[2, 2\], the model takes 3/);
  const ragged = join(dir, 'ragged.json');
  writeFileSync(ragged, JSON.stringify([[1, 2], [3]]));
  assert.match((await vigil('score', '--model', model, '--input', ragged, '--output', join(dir, 'y.npy'))).err, /ragged array: element \[1\]/);
  const imp = await vigil('import', join(dir, 'ragged.json'), '--out', join(dir, 'r.vigil'));
  assert.is(imp.code, 1);
  assert.match(imp.err, /not a valid ONNX file|not an ONNX model/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
