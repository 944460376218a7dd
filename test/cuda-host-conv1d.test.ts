// The Conv1D CUDA kernels' work, tested without a GPU (as test/cuda-host.test.ts does for the
// others): native/cuda/host_grid.cc runs their grids as host loops through the same
// __host__ __device__ functions (native/cuda/conv1d_elem.h), compared with the CPU kernels and
// float64 references at awkward shapes, every output poisoned with NaN first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv1dBackward, conv1dForward } from '../ts/bindings/conv1d.ts';
import { conv1dCases, conv1dDims, firstUnwritten, hostGrid, relNorm } from './helpers/cuda-cases.ts';

const nan = (n: number) => new Float32Array(n).fill(Number.NaN);

test('conv1d forward grid: every output written, within 1e-6 of float64 and of the CPU kernel; ReLU fused', () => {
  for (const c of conv1dCases(700)) {
    const ny = c.y.length;
    const got = nan(ny);
    hostGrid()._cudaHostEmulateConv1dForward(...conv1dDims(c.s), c.x, c.W, c.b, got, 'linear');
    assert.is(firstUnwritten(got), -1, `${c.label}: an output not written`);
    const cpu = nan(ny);
    conv1dForward(c.s, c.x, c.W, c.b, cpu);
    const ref = relNorm(got, c.y);
    const vsCpu = relNorm(got, cpu);
    assert.ok(ref < 1e-6, `${c.label}: ${ref} from float64`);
    assert.ok(vsCpu < 1e-6, `${c.label}: ${vsCpu} from the CPU kernel`);
    const relu = nan(ny);
    hostGrid()._cudaHostEmulateConv1dForward(...conv1dDims(c.s), c.x, c.W, c.b, relu, 'relu');
    for (let i = 0; i < ny; i++) assert.is(relu[i], Math.max(got[i], 0), `${c.label}: relu output ${i}`);
  }
});

test('conv1d backward grid: dX, dW, db all written, within 1e-5 of float64 and of the CPU kernel', () => {
  for (const c of conv1dCases(800)) {
    const { s } = c;
    const dX = nan(c.grads.dX.length), dW = nan(c.grads.dW.length), db = nan(s.outChannels);
    hostGrid()._cudaHostEmulateConv1dBackward(...conv1dDims(s), c.x, c.W, c.dY, dX, dW, db, null, null);
    const cpu = { dX: nan(dX.length), dW: nan(dW.length), db: nan(db.length) };
    conv1dBackward(s, c.x, c.W, c.dY, cpu.dX, cpu.dW, cpu.db);
    for (const [name, got] of [['dX', dX], ['dW', dW], ['db', db]] as const) {
      assert.is(firstUnwritten(got), -1, `${c.label}: ${name} element ${firstUnwritten(got)} not written`);
      const ref = relNorm(got, c.grads[name]);
      const vsCpu = relNorm(got, cpu[name]);
      assert.ok(ref < 1e-5, `${c.label}: ${name} ${ref} from float64`);
      assert.ok(vsCpu < 1e-5, `${c.label}: ${name} ${vsCpu} from the CPU kernel`);
    }
    // Each output alone: the same bits (the grid's elements do not depend on what else is asked for).
    const onlyDb = nan(db.length), onlyDx = nan(dX.length);
    hostGrid()._cudaHostEmulateConv1dBackward(...conv1dDims(s), c.x, c.W, c.dY, null, null, onlyDb, null, null);
    hostGrid()._cudaHostEmulateConv1dBackward(...conv1dDims(s), c.x, c.W, c.dY, onlyDx, null, null, null, null);
    assert.equal(onlyDb, db, `${c.label}: db alone`);
    assert.equal(onlyDx, dX, `${c.label}: dX alone`);
  }
});

test('conv1d backward grid: the ReLU mask gives the CPU kernel\'s dZ, and the gradients of dZ', () => {
  for (const c of conv1dCases(900).filter((_, i) => i % 2 === 0)) {
    const { s } = c;
    const ny = c.dY.length;
    const out = nan(ny);
    conv1dForward(s, c.x, c.W, c.b, out, 'relu');
    const dZ = nan(ny), dX = nan(c.grads.dX.length), dW = nan(c.grads.dW.length), db = nan(s.outChannels);
    hostGrid()._cudaHostEmulateConv1dBackward(...conv1dDims(s), c.x, c.W, c.dY, dX, dW, db, out, dZ);
    const cpuDz = nan(ny);
    conv1dBackward(s, c.x, c.W, c.dY, null, null, null, { out, dZ: cpuDz });
    assert.equal(dZ, cpuDz, `${c.label}: dZ`);
    const plain = { dX: nan(dX.length), dW: nan(dW.length), db: nan(db.length) };
    hostGrid()._cudaHostEmulateConv1dBackward(...conv1dDims(s), c.x, c.W, dZ, plain.dX, plain.dW, plain.db, null, null);
    assert.equal(dX, plain.dX, `${c.label}: dX`);
    assert.equal(dW, plain.dW, `${c.label}: dW`);
    assert.equal(db, plain.db, `${c.label}: db`);
    // dZ may be dY itself.
    const inPlace = c.dY.slice();
    const dX2 = nan(dX.length);
    hostGrid()._cudaHostEmulateConv1dBackward(...conv1dDims(s), c.x, c.W, inPlace, dX2, null, null, out, inPlace);
    assert.equal(inPlace, dZ, `${c.label}: in-place dZ`);
    assert.equal(dX2, dX, `${c.label}: dX from in-place dZ`);
  }
});

test.run();
