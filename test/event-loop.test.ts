// The async recurrent kernels and loaders run off the main thread: a 1 ms timer keeps firing while a
// long LSTM forward + backward or the KDD file's load runs, and the async results equal the sync ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rng, randomF32 } from './helpers/random.ts';
import { lstmBackward, lstmBackwardAsync, lstmCacheSize, lstmForward, lstmForwardAsync } from '../ts/bindings/lstm.ts';
import { Dense, Embedding, loadKdd, loadKddAsync, LSTM, Sequential, tensor } from '../ts/index.ts';

// Gather mode and no weight-gradient outputs: the work is the recurrence alone (no GEMM). Each
// call takes ~100 ms or more on a 2-core machine (a wide H makes it long for a small cache), so
// work on the main thread would show as a delay far above the bound; ~1 s in all.
const B = 16, T = 512, H = 256, V = 64, G = 4 * H, ROUNDS = 3, MIN_BOUND_MS = 30;

function inputs() {
  const r = rng(31);
  return {
    tokens: new Int32Array(B * T).map(() => Math.floor(r() * V)),
    table: randomF32(r, V * G),
    wHh: randomF32(r, G * H, -0.15, 0.15),
    dY: randomF32(r, B * T * H),
    lengths: new Int32Array(B).map(() => T - Math.floor(r() * 50)),
  };
}

/** Runs `work` with a 1 ms timer and an event-loop delay monitor: the worst and 99th-percentile delays (ms) and the ticks. */
async function watchLoop(work: () => Promise<void>): Promise<{ maxMs: number; p99Ms: number; ticks: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  h.enable();
  try {
    await work();
  } finally {
    h.disable();
    clearInterval(timer);
  }
  return { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, ticks };
}

/**
 * Work done on this thread delays the timer by the whole sync call (`syncMs`); off it, what is left
 * here is posting and receiving (a few ms). The bound scales with the measured sync call (a loaded
 * machine slows both the calls and the timer's jitter), with a floor.
 */
function assertOnTime(w: { maxMs: number; ticks: number }, syncMs: number, what: string): void {
  const bound = Math.max(syncMs / 2, MIN_BOUND_MS);
  assert.ok(w.maxMs < bound, `max event-loop delay ${w.maxMs.toFixed(1)} ms against ${bound.toFixed(0)} ms (${what} ${syncMs.toFixed(0)} ms)`);
  assert.ok(w.ticks > 20, `the 1 ms timer fired only ${w.ticks} times`);
}

type Outputs = { out: Float32Array; hLast: Float32Array; dTable: Float32Array; dh0: Float32Array };

function options(inp: ReturnType<typeof inputs>, cache: Float32Array, o: Outputs) {
  const common = { batch: B, time: T, hidden: H, tokens: inp.tokens, wHh: inp.wHh, lengths: inp.lengths, dropout: 0.25, seed: 3 };
  return {
    fwd: { ...common, table: inp.table, training: true, cache, out: o.out, hLast: o.hLast },
    bwd: { ...common, vocab: V, cache, dY: inp.dY, dTable: o.dTable, dh0: o.dh0 },
  };
}

const fresh = (): Outputs => ({
  out: new Float32Array(B * T * H), hLast: new Float32Array(B * H), dTable: new Float32Array(V * G), dh0: new Float32Array(B * H),
});

test('async LSTM forward + backward leaves the event loop responsive and equals the sync result', async () => {
  const inp = inputs();
  const cache = new Float32Array(lstmCacheSize(B, T, H));
  const sync = fresh();
  const so = options(inp, cache, sync);
  const t0 = performance.now();
  lstmForward(so.fwd);
  const t1 = performance.now();
  lstmBackward(so.bwd);
  // Were the async forms to run on this thread, the timer would wait at least the longest call.
  const longestCallMs = Math.max(t1 - t0, performance.now() - t1);

  const asyncOut = fresh();
  // The same cache (already touched: fresh pages are slow to fault in); the forward rewrites it.
  const ao = options(inp, cache, asyncOut);
  const w = await watchLoop(async () => {
    for (let i = 0; i < ROUNDS; i++) {
      await lstmForwardAsync(ao.fwd);
      await lstmBackwardAsync(ao.bwd);
    }
  });
  assertOnTime(w, longestCallMs, 'longest sync call');
  for (const k of Object.keys(sync) as Array<keyof Outputs>) {
    assert.ok(Buffer.from(asyncOut[k].buffer).equals(Buffer.from(sync[k].buffer)), `${k}: async differs from sync`);
  }
});

test('training steps totalling ~2 s keep a 1 ms timer on time (delays a small fraction of a step)', async () => {
  // The bench model at batch 256, T = 1024: a few hundred ms per step on 2 cores.
  const batch = 256, time = 1024;
  const r = rng(8);
  const tokens = new Int32Array(batch * time).map(() => Math.floor(r() * 64));
  const labels = new Float32Array(batch).map(() => (r() < 0.5 ? 0 : 1));
  const model = new Sequential([new Embedding(64, 32), new LSTM(64), new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  const x = tensor(tokens, [batch, time]);
  await model.trainOnBatch(x, labels); // allocate and fault in the buffers first
  const t0 = performance.now();
  let steps = 0;
  const { maxMs, p99Ms: p99, ticks } = await watchLoop(async () => {
    while (performance.now() - t0 < 2000) {
      await model.trainOnBatch(x, labels);
      steps++;
    }
  });
  const stepMs = (performance.now() - t0) / steps;
  // A step on the main thread would delay the timer by its whole length (~300 ms quiet, more
  // under load), so the bounds scale with the measured step (a busy CI machine's jitter alone gives
  // 5-15 ms gaps) with floors for fast machines; a blocked loop exceeds them either way: its max
  // delay is a whole step, above both stepMs / 2 and, for steps over 25 ms, the floor.
  const maxBound = Math.max(stepMs / 2, 25), p99Bound = Math.max(stepMs / 10, 5);
  assert.ok(p99 < p99Bound, `p99 event-loop delay ${p99.toFixed(1)} ms against ${stepMs.toFixed(0)} ms a step`);
  assert.ok(maxMs < maxBound, `max event-loop delay ${maxMs.toFixed(1)} ms against ${stepMs.toFixed(0)} ms a step`);
  assert.ok(ticks > 10 * steps, `the 1 ms timer fired only ${ticks} times over ${steps} steps`);
});

test('loadKddAsync reads the KDD file while a 1 ms timer keeps firing, and gives loadKdd\'s data', async () => {
  // The http rows of the bundled 10% set: the whole gzipped file is read and split, 0.5-1 s on 2 cores.
  const opts = { service: 'http' };
  const t0 = performance.now();
  const sync = loadKdd(undefined, opts);
  const syncMs = performance.now() - t0;
  let d: Awaited<ReturnType<typeof loadKddAsync>> | undefined;
  const w = await watchLoop(async () => {
    d = await loadKddAsync(undefined, opts);
  });
  assertOnTime(w, syncMs, 'sync load');
  assert.ok(d !== undefined);
  assert.equal({ ...d, encoder: d.encoder.toJSON() }, { ...sync, encoder: sync.encoder.toJSON() });
});

test.run();
