import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { glorotUniform, orthogonal, uniform } from '../ts/models/initializers.ts';

test('orthogonal: orthonormal columns (tall) and rows (wide), seeded', () => {
  for (const [rows, cols] of [[256, 64], [13, 13], [5, 17]] as const) {
    const q = orthogonal(rows, cols, 3, 1);
    const tall = rows >= cols;
    const n = tall ? cols : rows;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        if (tall) for (let i = 0; i < rows; i++) dot += q[i * cols + a] * q[i * cols + b];
        else for (let j = 0; j < cols; j++) dot += q[a * cols + j] * q[b * cols + j];
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `${rows}x${cols} <${a},${b}> = ${dot}`);
      }
    }
    assert.equal(Array.from(orthogonal(rows, cols, 3, 1)), Array.from(q));
    assert.not.equal(Array.from(orthogonal(rows, cols, 4, 1)), Array.from(q));
  }
});

test('glorotUniform and uniform: limits and spread', () => {
  const w = glorotUniform(32, 256, 1, 2);
  const limit = Math.sqrt(6 / 288);
  assert.is(w.length, 32 * 256);
  assert.ok(w.every((v) => Math.abs(v) <= limit));
  assert.ok(Math.max(...w) > 0.9 * limit && Math.min(...w) < -0.9 * limit);
  const e = uniform(1000, -0.05, 0.05, 1, 3);
  assert.ok(e.every((v) => v >= -0.05 && v < 0.05));
});

test.run();
