// The training step's CUDA kernels (native/cuda/{activation,loss,dense,embedding,dropout,optimizer,
// clip}.cu), tested without a GPU as test/cuda-host.test.ts does for the others:
// native/cuda/host_grid_train.cc runs their grids as host loops through the same __host__ __device__
// functions (*_elem.h), and the results are compared with the CPU kernels (TypeScript's clipping for
// clip), outputs poisoned with NaN first. Dropout masks, embedding gradients, bias gradients and
// optimizer updates are expected bit for bit; the rest within the tolerances of the cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../ts/bindings/addon.ts';
import { SGD } from '../ts/models/optimizers.ts';
import type { ClipOptions } from '../ts/models/optimizers.ts';
import { throwsError } from './helpers/errors.ts';
import { firstUnwritten, relNorm } from './helpers/cuda-cases.ts';
import { runTrainCase, trainCases } from './helpers/cuda-train-cases.ts';
import { randomF32, rng } from './helpers/random.ts';

type F32 = Float32Array;

test('training-step grids: every output written, the CPU kernels\' results (bits where the case says 0)', () => {
  const cases = trainCases(100);
  for (const c of cases) {
    const host = runTrainCase(c, 'host');
    const cpu = runTrainCase(c, 'cpu');
    for (const [i, tol] of c.outputs) {
      const got = host[i] as F32;
      const want = cpu[i] as F32;
      if (c.poisoned) assert.is(firstUnwritten(got), -1, `${c.label}: argument ${i}, element ${firstUnwritten(got)} not written`);
      if (tol === 0) assert.equal(got, want, `${c.label}: argument ${i} differs from the CPU kernel`);
      else {
        const e = relNorm(got, want);
        assert.ok(e < tol, `${c.label}: argument ${i} is ${e} from the CPU kernel`);
      }
    }
  }
  // Every family is here.
  for (const b of ['activationBackward', 'softmaxForward', 'meanAbsoluteError', 'sparseCategoricalCrossentropyLogits', 'denseBackward',
    'embeddingBackward', 'dropoutSequences', 'sgdStep', 'adamStep', 'rmspropStep', 'nadamStep']) {
    assert.ok(cases.some((c) => c.binding === b), b);
  }
});

test('training-step grids: the same bits on every run (fixed-order reductions)', () => {
  for (const c of trainCases(200).filter((k) => /Crossentropy|Error|softmax|denseBackward/.test(k.binding))) {
    const a = runTrainCase(c, 'host');
    const b = runTrainCase(c, 'host');
    for (const [i] of c.outputs) assert.equal(a[i], b[i], `${c.label}: argument ${i}`);
  }
});

interface ClipAddon {
  _cudaHostEmulateClipGradients(mode: string, c: number, count: number, sizes: Int32Array, g: F32, out: F32): void;
}
const clipGrid = () => addon<ClipAddon>();

// TypeScript's clipping as the optimizers apply it: SGD with learning rate 1 from zero parameters
// leaves -clip(g) in them, exactly (0 - 1·x is -x).
async function tsClip(opts: ClipOptions, grads: F32[]): Promise<F32[]> {
  const params = grads.map((g) => new Float32Array(g.length));
  await new SGD({ learningRate: 1, ...opts }).apply(params, grads);
  return params.map((p) => p.map((v) => -v));
}

test('gradient clipping grids: TypeScript\'s clipvalue, clipnorm and globalClipnorm, every element written', async () => {
  const r = rng(300);
  // Norms above and below the threshold, one tensor of one element, tensors past the 256-element blocks.
  const sizes = [1, 7, 300, 2048, 70_000];
  const grads = sizes.map((n, i) => randomF32(r, n, -1, 1).map((v) => v * (i === 1 ? 0.01 : 1)));
  const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const g of grads) {
    flat.set(g, at);
    at += g.length;
  }
  for (const [mode, key, c] of [['value', 'clipvalue', 0.5], ['norm', 'clipnorm', 1], ['globalNorm', 'globalClipnorm', 10], ['globalNorm', 'globalClipnorm', 1e6]] as const) {
    const out = new Float32Array(flat.length).fill(Number.NaN);
    clipGrid()._cudaHostEmulateClipGradients(mode, c, sizes.length, Int32Array.from(sizes), flat, out);
    assert.is(firstUnwritten(out), -1, `${mode} ${c}: an element not written`);
    const want = await tsClip({ [key]: c } as ClipOptions, grads);
    let off = 0;
    for (const w of want) {
      const got = out.subarray(off, off + w.length);
      off += w.length;
      // Sums of squares in a different order than TypeScript's: equal to double rounding.
      assert.ok(relNorm(got, w) < 1e-6, `${mode} ${c}: tensor of ${w.length}: ${relNorm(got, w)}`);
    }
  }
});

test('gradient clipping grids: NaN passes clipvalue; non-finite norms as TypeScript\'s Math.max and global check give', () => {
  const g = Float32Array.of(1, Number.NaN, -3, Number.POSITIVE_INFINITY);
  const out = new Float32Array(4);
  clipGrid()._cudaHostEmulateClipGradients('value', 2, 1, Int32Array.of(4), g, out);
  assert.equal(Array.from(out), [1, Number.NaN, -2, 2]);
  clipGrid()._cudaHostEmulateClipGradients('globalNorm', 2, 2, Int32Array.of(2, 2), g, out);
  assert.ok(out.every((v) => Number.isNaN(v)));
  // clipnorm per tensor, as Math.max does: a NaN norm gives NaN, an infinite one a factor of 0.
  clipGrid()._cudaHostEmulateClipGradients('norm', 2, 2, Int32Array.of(2, 2), g, out);
  assert.equal(Array.from(out), [Number.NaN, Number.NaN, -0, Number.NaN]);
});

test('the training-step emulation bindings check their arguments as the CPU ones do', () => {
  const a = addon<Record<string, (...x: unknown[]) => void>>();
  throwsError(() => a._cudaHostEmulateActivationForward(0, 3, new Float32Array(2), new Float32Array(3)), RangeError, /x/);
  throwsError(() => a._cudaHostEmulateEmbeddingForward(4, 2, 2, Int32Array.of(0, 4), new Float32Array(8), new Float32Array(4)), RangeError, /ids/);
  throwsError(() => a._cudaHostEmulateBinaryCrossentropyLogits(1, 2, new Float32Array(2), Float32Array.of(0, 2), null, null, new Float32Array(1)),
    RangeError, /target/);
  throwsError(() => clipGrid()._cudaHostEmulateClipGradients('max', 1, 1, Int32Array.of(1), new Float32Array(1), new Float32Array(1)), RangeError, /mode/);
  throwsError(() => clipGrid()._cudaHostEmulateClipGradients('norm', 1, 2, Int32Array.of(1, 2), new Float32Array(2), new Float32Array(3)), RangeError, /g/);
  const g = new Float32Array(3);
  throwsError(() => clipGrid()._cudaHostEmulateClipGradients('norm', 1, 1, Int32Array.of(3), g, g), RangeError, /out/);
});

test.run();
