// Fuzzing the ONNX loader: thousands of seeded mutations of the fixtures (byte flips, truncations,
// inserted bytes) go through decodeModel and the importer. Every outcome is a model or an Error
// instance: no crash, no hang, no non-Error throw. Imports that still succeed also run predict.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModel } from '../ts/models/onnx/proto.ts';
import { importModel } from '../ts/models/onnx/import/index.ts';
import type { Sequential } from '../ts/models/sequential.ts';
import { fixture, fixtureInput, ONNX_FIXTURES } from './helpers/onnx-fixtures.ts';
import { rng } from './helpers/random.ts';

const BASES = ['dense_autoencoder', 'causal_tcn', 'two_lstms', 'text_lstm_max'];
const PER_BASE = 750;

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const at = () => Math.floor(r() * src.length);
  switch (Math.floor(r() * 4)) {
    case 0: { // flip a few bits or bytes
      const b = src.slice();
      const n = 1 + Math.floor(r() * 6);
      for (let k = 0; k < n; k++) b[at()] ^= r() < 0.5 ? 1 << Math.floor(r() * 8) : Math.floor(r() * 256);
      return b;
    }
    case 1: // truncate
      return src.slice(0, at());
    case 2: { // insert random bytes
      const i = at(), n = 1 + Math.floor(r() * 16);
      const extra = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      return Uint8Array.from([...src.subarray(0, i), ...extra, ...src.subarray(i)]);
    }
    default: { // a byte set to a varint's extremes (lengths and dims blow up or vanish)
      const b = src.slice();
      b[at()] = r() < 0.5 ? 0xff : 0x00;
      return b;
    }
  }
}

test(`${BASES.length * PER_BASE} mutated model files: only Errors, never a crash or hang`, async () => {
  const r = rng(20261126);
  const outcomes = { decodeError: 0, importError: 0, imported: 0, predictError: 0 };
  for (const name of BASES) {
    const f = fixture(name);
    const src = new Uint8Array(readFileSync(join(ONNX_FIXTURES, f.files[1]!)));
    for (let k = 0; k < PER_BASE; k++) {
      const bytes = mutate(src, r);
      let model;
      try {
        model = decodeModel(bytes, 'fuzz');
      } catch (err) {
        assert.ok(err instanceof Error, `decodeModel threw a non-Error: ${String(err)}`);
        outcomes.decodeError++;
        continue;
      }
      try {
        const imported = await importModel(model, 'fuzz');
        outcomes.imported++;
        try {
          await (imported.model as Sequential).predict(fixtureInput(f));
        } catch (err) {
          assert.ok(err instanceof Error, `predict threw a non-Error: ${String(err)}`);
          outcomes.predictError++;
        }
      } catch (err) {
        assert.ok(err instanceof Error, `importModel threw a non-Error: ${String(err)}`);
        outcomes.importError++;
      }
    }
  }
  // Each way of ending must occur, or the mutations are too mild (or too harsh) to test anything.
  assert.ok(outcomes.decodeError > 100 && outcomes.importError > 100 && outcomes.imported > 100, JSON.stringify(outcomes));
});

test.run();
