// The device choice (ts/bindings/device.ts) and its plumbing through the bindings and detectors.
// On a machine without a usable GPU the CUDA paths must refuse with an Error that says why, and
// 'auto' must run on the CPU; with one, 'auto' must pick it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addon } from '../ts/bindings/addon.ts';
import { backend } from '../ts/bindings/backend.ts';
import { _resetAutoDevice, autoDevice, checkDevice, resolveDevice, setDeviceLog } from '../ts/bindings/device.ts';
import { activationForward } from '../ts/bindings/activation.ts';
import { gemm } from '../ts/bindings/gemm.ts';
import { adamState, adamStepAsync } from '../ts/bindings/optimizer.ts';
import { IsolationForest } from '../ts/models/detectors/iforest.ts';
import { OneClassSVM } from '../ts/models/detectors/ocsvm.ts';
import { RBM } from '../ts/models/detectors/rbm.ts';
import { tensor } from '../ts/models/tensor.ts';
import { rejectsError, throwsError } from './helpers/errors.ts';
import { randomF32, rng } from './helpers/random.ts';

const cuda = backend().cuda;

test('checkDevice: auto by default, names checked', () => {
  assert.is(checkDevice('f', undefined), 'auto');
  assert.is(checkDevice('f', 'cpu'), 'cpu');
  assert.is(checkDevice('f', 'cuda'), 'cuda');
  throwsError(() => checkDevice('f', 'gpu'), RangeError, /f: device must be 'auto', 'cpu' or 'cuda', got "gpu"/);
  throwsError(() => checkDevice('f', 1), TypeError, /f: device must be/);
});

test("'auto' follows backend().cuda and says so in one line, once", () => {
  const lines: string[] = [];
  _resetAutoDevice();
  setDeviceLog((l) => lines.push(l));
  try {
    assert.is(autoDevice(), cuda ? 'cuda' : 'cpu');
    assert.is(resolveDevice('f', 'auto'), cuda ? 'cuda' : 'cpu');
  } finally {
    setDeviceLog((l) => process.stderr.write(`${l}\n`));
  }
  assert.is(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], cuda ? /^vigil: device 'auto' uses cuda \(.+, compute capability \d+\.\d+\)$/ : /^vigil: device 'auto' uses cpu \(CUDA unavailable: .+\)$/);
  assert.is(resolveDevice('f', 'cpu'), 'cpu');
});

test("'cuda' without a usable GPU is an Error naming the reason; the process carries on", async () => {
  if (cuda) return;
  const reason = backend().cudaUnavailableReason!;
  throwsError(() => resolveDevice('f', 'cuda'), Error, /f: device 'cuda' was asked for, but CUDA is unavailable: /);
  const A = new Float32Array([1, 2, 3, 4]);
  throwsError(() => gemm(false, false, 2, 2, 2, 1, A, A, 0, new Float32Array(4), 'cuda'), Error, /CUDA is unavailable/);
  assert.ok(reason.length > 0);
  // The native entry point itself, called anyway: an Error naming the kernel and its sizes (or,
  // without CUDA compiled in, saying so), never an abort.
  const native = addon<{ gemmCuda: typeof gemm }>();
  throwsError(() => native.gemmCuda(false, false, 2, 2, 2, 1, A, A, 0, new Float32Array(4)), Error,
    backend().cudaCompiled ? /^gemmCuda: sgemm \(M=2, N=2, K=2\): .+ failed: cuda\w+: / : /built without CUDA/);
  const C = new Float32Array(4);
  gemm(false, false, 2, 2, 2, 1, A, A, 0, C, 'auto');
  assert.equal(Array.from(C), [7, 10, 15, 22]);
});

test('the training-step bindings take a device: auto runs, cuda without a GPU is refused, the raw entry points throw', async () => {
  const x = Float32Array.of(-1, 0, 2);
  const y = new Float32Array(3);
  activationForward('relu', 3, x, y, 'auto');
  assert.equal(Array.from(y), [0, 0, 2]);
  if (cuda) return;
  throwsError(() => activationForward('relu', 3, x, y, 'cuda'), Error, /^activationForward: device 'cuda' was asked for, but CUDA is unavailable/);
  await rejectsError(adamStepAsync(1, x.slice(), x, adamState(3), {}, 'cuda'), Error, /^adamStepAsync: device 'cuda' was asked for/);
  const native = addon<Record<string, (...a: unknown[]) => void>>();
  throwsError(() => native.dropoutForwardCuda(3, 0.5, 1, 2, x, y, null), Error,
    backend().cudaCompiled ? /^dropoutForwardCuda: dropoutForward \(n=3, rate=0\.500000\): .+ failed: cuda\w+: / : /built without CUDA/);
});

test('a bad device on any kernel binding is a TypeError or RangeError naming it, never a CUDA call', async () => {
  const x = Float32Array.of(-1, 0, 2);
  const y = new Float32Array(3);
  for (const bad of ['gpu', 'GPU', 'CPU']) {
    throwsError(() => activationForward('relu', 3, x, y, bad as never), RangeError, /^activationForward: device must be 'auto', 'cpu' or 'cuda', got "/);
    throwsError(() => gemm(false, false, 1, 1, 1, 1, x, x, 0, y, bad as never), RangeError, /^gemm: device must be/);
    await rejectsError(adamStepAsync(1, x.slice(), x, adamState(3), {}, bad as never), RangeError, /^adamStepAsync: device must be/);
  }
  for (const bad of [null, 3, {}]) {
    throwsError(() => activationForward('relu', 3, x, y, bad as never), TypeError, /^activationForward: device must be/);
  }
});

test('detectors take a device; bad ones are refused at construction', async () => {
  throwsError(() => new IsolationForest({ device: 'gpu' as never }), RangeError, /IsolationForest: device must be/);
  throwsError(() => new OneClassSVM({ device: 3 as never }), TypeError, /OneClassSVM: device must be/);
  throwsError(() => new OneClassSVM({ kernel: 'linear', device: 'cuda' }), RangeError, /rbf kernel only/);
  assert.is(new IsolationForest().device, 'auto');
  assert.is(new OneClassSVM({ device: 'cpu' }).device, 'cpu');
  const x = tensor(randomF32(rng(7), 200 * 3), [200, 3]);
  const cpu = await new IsolationForest({ nEstimators: 20, device: 'cpu' }).fit(x);
  const auto = await new IsolationForest({ nEstimators: 20 }).fit(x);
  const a = await cpu.scoreSamples(x);
  const b = await auto.scoreSamples(x);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6, `row ${i}: ${a[i]} vs ${b[i]}`);
  const svmCpu = await new OneClassSVM({ device: 'cpu' }).fit(x);
  const svmAuto = await new OneClassSVM().fit(x);
  const s = await svmCpu.scoreSamples(x);
  const t = await svmAuto.scoreSamples(x);
  for (let i = 0; i < s.length; i++) assert.ok(Math.abs(s[i] - t[i]) <= 1e-4 * Math.max(1, Math.abs(s[i])), `row ${i}: ${s[i]} vs ${t[i]}`);
  if (!cuda) {
    await rejectsError(new IsolationForest({ nEstimators: 5, device: 'cuda' }).fit(x), Error, /IsolationForest|iforestScore.*CUDA is unavailable/);
    // The field is public: a bad value set later is refused at the next call.
    cpu.device = 'tpu' as never;
    await rejectsError(cpu.scoreSamples(x), RangeError, /device must be/);
  }
});

test('the RBM detector scores and transforms on its device; training stays on the CPU', async () => {
  throwsError(() => new RBM({ device: 'gpu' as never }), RangeError, /RBM: device must be/);
  assert.is(new RBM().device, 'auto');
  const x = tensor(randomF32(rng(8), 120 * 4), [120, 4]);
  const cpu = await new RBM({ hiddenUnits: 6, epochs: 2, device: 'cpu' }).fit(x);
  const auto = await new RBM({ hiddenUnits: 6, epochs: 2 }).fit(x);
  const a = await cpu.scoreSamples(x);
  const b = await auto.scoreSamples(x);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(a[i])), `row ${i}: ${a[i]} vs ${b[i]}`);
  // The reconstruction error's two conditionals run on the device too.
  const rc = await new RBM({ hiddenUnits: 6, epochs: 2, device: 'cpu', scoring: 'reconstruction' }).fit(x);
  const ra = await rc.scoreSamples(x);
  rc.device = 'auto';
  const rb = await rc.scoreSamples(x);
  for (let i = 0; i < ra.length; i++) assert.ok(Math.abs(ra[i] - rb[i]) <= 1e-4 * Math.max(1, Math.abs(ra[i])), `reconstruction row ${i}: ${ra[i]} vs ${rb[i]}`);
  if (!cuda) {
    rc.device = 'cuda';
    await rejectsError(rc.scoreSamples(x), Error, /CUDA is unavailable/);
    await rejectsError(new RBM({ hiddenUnits: 3, epochs: 1, device: 'cuda' }).fit(x), Error, /CUDA is unavailable/);
    cpu.device = 'cuda';
    await rejectsError(cpu.transform(x), Error, /CUDA is unavailable/);
  }
});

test.run();
