// Keras Permute: the forward reorders axes after the batch, the backward sends gradients back through
// the inverse order, and bad dims are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Conv1D } from '../ts/models/layers/conv1d.ts';
import { Dense } from '../ts/models/layers/dense.ts';
import { Flatten } from '../ts/models/layers/flatten.ts';
import { Permute } from '../ts/models/layers/permute.ts';
import { layerFromConfig } from '../ts/models/layers/registry.ts';
import { Sequential } from '../ts/models/sequential.ts';
import { tensor } from '../ts/models/tensor.ts';
import { gradCheck } from './helpers/gradcheck.ts';
import { randomF32, rng } from './helpers/random.ts';
import { throwsError } from './helpers/errors.ts';

test('Permute([2, 1]) turns [B, T, C] into [B, C, T]', async () => {
  const [B, T, C] = [2, 3, 4];
  const x = randomF32(rng(1), B * T * C);
  const m = new Sequential([new Permute([2, 1])]);
  const y = await m.predict(tensor(x, [B, T, C]));
  assert.equal(y.shape, [B, C, T]);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) {
    assert.is(y.data[(b * C + c) * T + t], x[(b * T + t) * C + c]);
  }
  const m3 = new Sequential([new Permute([3, 1, 2])]);
  const z = await m3.predict(tensor(randomF32(rng(2), 2 * 3 * 4 * 5), [2, 3, 4, 5]));
  assert.equal(z.shape, [2, 5, 3, 4]);
});

test('gradients flow through Permute (a channels-first Conv1D stack)', async () => {
  const r = rng(5);
  const m = new Sequential([new Permute([2, 1]), new Conv1D(3, 2, { padding: 'causal', activation: 'tanh' }), new Permute([2, 1]), new Flatten(), new Dense(2)], { seed: 4 });
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  const x = tensor(randomF32(r, 3 * 2 * 6), [3, 2, 6]);
  await gradCheck(m, x, tensor(randomF32(r, 6), [3, 2]), 'permute');
});

test('bad dims are refused and the config round-trips', () => {
  throwsError(() => new Permute([1, 1]), RangeError, /permutation of 1..2/);
  throwsError(() => new Permute([]), TypeError, /non-empty/);
  throwsError(() => new Sequential([new Permute([2, 1])]).build([4, 5, 6]), RangeError, /need inputs of 2 axes/);
  const p = layerFromConfig('Permute', new Permute([2, 3, 1]).getConfig()) as Permute;
  assert.equal(p.dims, [2, 3, 1]);
});

test.run();
