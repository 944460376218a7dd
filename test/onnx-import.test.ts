// ONNX import: PyTorch's exports of the SEEDS.md kinds (test/fixtures/make_onnx_fixtures.py, opsets 13
// and 17) become vigil Sequentials that give PyTorch's outputs, can be fine-tuned with fit and saved;
// a file's vigil.* metadata brings its tokenizer back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CharTokenizer } from '../ts/models/preprocessing/tokenizer.ts';
import { Sequential } from '../ts/models/sequential.ts';
import { META } from '../ts/models/onnx/metadata.ts';
import { decodeModel, encodeModel } from '../ts/models/onnx/proto.ts';
import { graphOutputShape, importOnnx } from '../ts/models/onnx/import/index.ts';
import { fixture, fixtureInput, maxAbsDiff, ONNX_FIXTURES, torchOnnxFixtures } from './helpers/onnx-fixtures.ts';

const LAYERS: Record<string, string> = {
  text_lstm_last: 'Embedding LSTM Dense:sigmoid',
  text_lstm_max: 'Embedding LSTM GlobalMaxPooling1D Dense:sigmoid',
  stacked_lstm: 'LSTM LSTM Dense:linear',
  two_lstms: 'LSTM LSTM Dense:linear',
  seq_autoencoder: 'LSTM Dense:linear',
  conv_seq: 'Permute Conv1D:relu:same Conv1D:linear:causal Permute',
  causal_tcn: 'Permute Conv1D:relu:causal Conv1D:relu:causal Conv1D:tanh:same Flatten Dense:softmax',
  dense_autoencoder: 'Dense:relu Dense:tanh Dense:sigmoid Dense:linear',
};

function describe(model: Sequential): string {
  return model.layers.map((l) => {
    const o = l as unknown as { activation?: string; padding?: string };
    return [l.className, o.activation, o.padding].filter(Boolean).join(':');
  }).join(' ');
}

test('every fixture covers its kind at opsets 13 and 17', () => {
  assert.equal(torchOnnxFixtures.map((f) => f.name).sort(), Object.keys(LAYERS).sort());
  for (const f of torchOnnxFixtures) assert.equal(f.files, [`${f.name}_op13.onnx`, `${f.name}_op17.onnx`]);
});

for (const f of torchOnnxFixtures) {
  for (const file of f.files) {
    test(`${file}: vigil's layers give PyTorch's outputs`, async () => {
      const imported = await importOnnx(join(ONNX_FIXTURES, file));
      assert.is(imported.kind, 'sequential');
      const model = imported.model as Sequential;
      assert.is(describe(model), LAYERS[f.name]);
      const y = await model.predict(fixtureInput(f), { batchSize: 4 });
      assert.equal(graphOutputShape(imported.graph!.outputAxes, y.shape), f.output.shape);
      assert.ok(y.data.every(Number.isFinite), 'every output written and finite');
      const err = maxAbsDiff(y.data, f.output.data);
      assert.ok(err <= 1e-5, `max |vigil - torch| = ${err}`);
    });
  }
}

test('the imported text classifier fine-tunes with fit and saves as a vigil model', async () => {
  const f = fixture('text_lstm_last');
  const { model } = await importOnnx(join(ONNX_FIXTURES, f.files[1]!)) as { model: Sequential };
  const x = fixtureInput(f);
  const before = model.getWeights();
  model.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  const y = Float32Array.from(f.target);
  const first = await model.evaluate(x, y);
  const history = await model.fit(x, y, { epochs: 8, batchSize: 4, seed: 3 });
  const last = await model.evaluate(x, y);
  assert.ok(history.epochs.every((e) => Number.isFinite(e.loss)));
  assert.ok(last.loss < first.loss, `loss ${first.loss} -> ${last.loss}`);
  const after = model.getWeights();
  assert.ok(after.every((w, i) => maxAbsDiff(w, before[i]!) > 0), 'every weight moved');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-onnx-'));
  try {
    await model.save(join(dir, 'm.vigil'));
    const { model: again } = await Sequential.load(join(dir, 'm.vigil'));
    assert.equal((await again.predict(x)).data, (await model.predict(x)).data);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the imported TCN and sequence autoencoder train too (Permute, Flatten order, per-step Dense)', async () => {
  for (const [name, loss] of [['causal_tcn', 'sparse_categorical_crossentropy'], ['seq_autoencoder', 'mse']] as const) {
    const f = fixture(name);
    const { model } = await importOnnx(join(ONNX_FIXTURES, f.files[0]!)) as { model: Sequential };
    model.compile({ loss, optimizer: 'adam' });
    const x = fixtureInput(f);
    const y = name === 'causal_tcn' ? Int32Array.from(f.target) : Float32Array.from(f.target);
    const first = await model.evaluate(x, y);
    await model.fit(x, y, { epochs: 5, batchSize: 5, seed: 1 });
    const last = await model.evaluate(x, y);
    assert.ok(last.loss < first.loss, `${name}: loss ${first.loss} -> ${last.loss}`);
  }
});

test('a tokenizer and padding in the vigil.* metadata come back as the preprocessing', async () => {
  const f = fixture('text_lstm_last');
  const proto = decodeModel(readFileSync(join(ONNX_FIXTURES, f.files[1]!)));
  // 86 characters, as the fixture's vocabulary (ids 1..86).
  const chars = Array.from({ length: 86 }, (_, i) => String.fromCharCode(33 + i)).join('');
  const tokenizer = new CharTokenizer().fitOnTexts([chars]);
  proto.metadata_props = [
    { key: META.tokenizer, value: JSON.stringify(tokenizer.toJSON()) },
    { key: META.padding, value: JSON.stringify({ maxlen: 48, padding: 'pre', truncating: 'pre', value: 0 }) },
  ];
  const imported = await importOnnx(encodeModel(proto));
  const pre = imported.preprocessing!;
  assert.ok(pre, 'preprocessing restored');
  assert.is(pre.pad!.maxlen, 48);
  const input = pre.encode(['http://example.com/login.php', 'https://paypa1.secure-update.xyz/verify?id=1']);
  const { tokens } = input as { tokens: { shape: number[] } };
  assert.equal(tokens.shape, [2, 48]);
  const y = await (imported.model as Sequential).predict(input);
  assert.ok(y.data.every((v) => v > 0 && v < 1));

  proto.metadata_props = [{ key: META.tokenizer, value: '{not json' }];
  try {
    await importOnnx(encodeModel(proto));
    assert.unreachable('bad metadata must fail');
  } catch (err) {
    assert.match((err as Error).message, /metadata 'vigil\.tokenizer' is not valid JSON/);
  }
});

test.run();
