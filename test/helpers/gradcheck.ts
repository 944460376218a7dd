// Central differences of a model's float32 loss against its backward pass, for layer tests.
import * as assert from 'uvu/assert';
import type { ModelInput, Targets, TrainableModel } from '../../ts/models/training.ts';
import { rng } from './random.ts';

// Central differences of the float32 loss w.r.t. a sample of every weight, against the backward.
export async function gradCheck<X = ModelInput>(m: TrainableModel<X>, x: X, y: Targets, label: string, eps = 1e-2, perWeight = 6): Promise<void> {
  const r = rng(77);
  const { loss, grads } = await m.lossAndGradients(x, y);
  assert.ok(Number.isFinite(loss), `${label}: loss ${loss}`);
  const weights = m.layers.flatMap((l) => l.weights);
  let worst = 0, where = '';
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k].value;
    for (let s = 0; s < Math.min(perWeight, w.length); s++) {
      const i = Math.floor(r() * w.length);
      const keep = w[i];
      w[i] = keep + eps;
      for (const l of m.layers) l.weightsChanged();
      const up = (await m.lossAndGradients(x, y)).loss;
      w[i] = keep - eps;
      for (const l of m.layers) l.weightsChanged();
      const down = (await m.lossAndGradients(x, y)).loss;
      w[i] = keep;
      for (const l of m.layers) l.weightsChanged();
      const fd = (up - down) / (2 * eps);
      const g = grads[k][i];
      const err = Math.abs(fd - g) / Math.max(Math.abs(fd), Math.abs(g), 1e-2);
      if (err > worst) [worst, where] = [err, `${weights[k].name}[${i}] of weight ${k}: fd ${fd} vs ${g}`];
    }
  }
  assert.ok(worst < 2e-2, `${label}: worst relative error ${worst} at ${where}`);
}

