// Suite `stream`: scoring files far larger than memory with model.scoreStream, beside the
// in-memory batch path, in rows/s and peak RSS (MB). Two jobs, each on a generated file in
// os.tmpdir() (deleted afterwards):
//   - a ~1 GB JSON-lines web log (CSIC 2010 requests, the bundled ones in seeded random order)
//     scored by the log-breach LSTM: vigil's default recipe (Embedding(V, 32) -> LSTM(128,
//     returnSequences) -> GlobalMaxPooling1D -> Dense(1, sigmoid)), random weights (the cost of
//     scoring does not depend on them), maxlen 1024 as the experiment;
//   - a 10-million-row CSV of 10 numeric features scored by an isolation forest (100 trees x 256).
// Each measurement runs in a child process (stream_child.ts), so each peak RSS is that run's own.
// The in-memory path reads the file whole, so it runs on the first rows only (a 1 GB file is
// past V8's longest string); the streamed path runs on those rows too (the ratio) and on the
// whole file (the memory claim). VIGIL_BENCH_STREAM_SCALE=0.01 scales every size down for
// development.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomNormal, randomUniform } from '../../ts/bindings/random.ts';
import { defaultRecipe } from '../../ts/experiments/default.ts';
import { loadCsic } from '../../ts/models/datasets.ts';
import { IsolationForest } from '../../ts/models/detectors/iforest.ts';
import { CharTokenizer } from '../../ts/models/preprocessing/tokenizer.ts';
import { permutation } from '../../ts/models/preprocessing/split.ts';
import { Sequential } from '../../ts/models/sequential.ts';
import { DETECTOR_BATCH, TEXT_BATCH } from '../../ts/models/stream/models.ts';
import { median, note, progress, type Row, type SuiteOptions } from '../harness.ts';
import type { ChildConfig, ChildResult } from './stream_child.ts';

const SCALE = Number(process.env.VIGIL_BENCH_STREAM_SCALE ?? '1');
export const LOG_BYTES = Math.round(1e9 * SCALE);
export const LOG_SUBSET_ROWS = Math.round(Math.min(100_000, 7e5 * SCALE));
export const CSV_ROWS = Math.round(10_000_000 * SCALE);
export const CSV_SUBSET_ROWS = Math.round(Math.min(1_000_000, CSV_ROWS / 10));
export const FEATURES = 10;
const MAXLEN = 1024;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const child = fileURLToPath(new URL('./stream_child.ts', import.meta.url));

async function write(ws: NodeJS.WritableStream, s: string): Promise<void> {
  if (!ws.write(s)) await once(ws, 'drain');
}

async function close(ws: NodeJS.WritableStream & { close?: unknown }): Promise<void> {
  ws.end();
  await once(ws, 'finish');
}

/**
 * The web log: the bundled CSIC requests as the experiment's texts ({"method":…,"url":…}), one
 * per line, pass after pass in a new seeded order, until `bytes`; the first `subsetRows` lines
 * also go to their own file. Returns the texts (the tokenizer's vocabulary) and the row count.
 */
async function writeLog(path: string, subsetPath: string, bytes: number, subsetRows: number): Promise<{ texts: string[]; rows: number }> {
  const { texts } = loadCsic();
  const full = createWriteStream(path);
  const subset = createWriteStream(subsetPath);
  let written = 0;
  let rows = 0;
  for (let pass = 0; written < bytes; pass++) {
    const order = permutation(texts.length, 1000 + pass);
    let chunk = '';
    for (let k = 0; k < order.length && written < bytes; k++) {
      const line = `${texts[order[k]]}\n`;
      chunk += line;
      written += Buffer.byteLength(line);
      if (rows < subsetRows) await write(subset, line);
      rows++;
      if (chunk.length > 1 << 20) {
        await write(full, chunk);
        chunk = '';
      }
    }
    await write(full, chunk);
  }
  await close(full);
  await close(subset);
  return { texts, rows };
}

/** Ten N(0, 1) features a row, every 100th row uniform in [-6, 6): vigil's Philox generator. */
function csvRows(first: number, n: number): Float32Array {
  const x = randomNormal(new Float32Array(n * FEATURES), 77, first);
  const out = randomUniform(new Float32Array(n * FEATURES), 78, first, -6, 6);
  for (let i = 0; i < n; i++) if ((first + i) % 100 === 0) x.set(out.subarray(i * FEATURES, (i + 1) * FEATURES), i * FEATURES);
  return x;
}

async function writeCsv(path: string, subsetPath: string, rows: number, subsetRows: number): Promise<void> {
  const full = createWriteStream(path);
  const subset = createWriteStream(subsetPath);
  const header = `${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')}\n`;
  await write(full, header);
  await write(subset, header);
  const step = 20_000;
  for (let r0 = 0; r0 < rows; r0 += step) {
    const n = Math.min(step, rows - r0);
    const x = csvRows(r0 / step, n);
    const lines: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let line = x[i * FEATURES].toFixed(4);
      for (let j = 1; j < FEATURES; j++) line += `,${x[i * FEATURES + j].toFixed(4)}`;
      lines[i] = line;
    }
    const chunk = `${lines.join('\n')}\n`;
    await write(full, chunk);
    if (r0 < subsetRows) await write(subset, `${lines.slice(0, subsetRows - r0).join('\n')}\n`);
  }
  await close(full);
  await close(subset);
}

function runChild(c: ChildConfig): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, JSON.stringify(c)], {
    cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 24, timeout: 4 * 3600 * 1000,
  });
  if (r.status !== 0) throw new Error(`child ${c.mode} ${c.input} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/**
 * Runs the modes on one file: `repeats` interleaved rounds (so a change in the machine's load hits
 * every mode alike), each row the median round. Streamed and in-memory must give the same scores.
 */
function measureCase(name: string, kind: ChildConfig['kind'], model: string, input: string, modes: ChildConfig['mode'][], rounds: number,
  threads: number, batchSize: number, dir: string): Row[] {
  const got = new Map<string, ChildResult[]>();
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      const r = runChild({ mode, kind, model, input, output: join(dir, 'out.csv'), threads, batchSize });
      rmSync(join(dir, 'out.csv'), { force: true });
      progress(`${name} ${mode} (round ${round + 1}): ${r.rows} rows in ${r.seconds.toFixed(1)} s = ${(r.rows / r.seconds).toFixed(0)} rows/s, ` +
        `peak RSS ${r.peakMB.toFixed(0)} MB (${r.startMB.toFixed(0)} MB before reading)`);
      got.set(mode, [...(got.get(mode) ?? []), r]);
    }
  }
  const s = got.get('stream')?.[0];
  const m = got.get('memory')?.[0];
  if (s && m && (s.rows !== m.rows || Math.abs(s.checksum - m.checksum) > 1e-9 * Math.abs(m.checksum))) {
    note(`${name}: streamed and in-memory scores differ (${s.rows} vs ${m.rows} rows, sums ${s.checksum} vs ${m.checksum})`);
  }
  const impl = { stream: 'vigil', memory: 'vigil-in-memory', cli: 'vigil-cli' } as const;
  const rows: Row[] = [];
  for (const [mode, rs] of got) {
    const base = { suite: 'stream', case: name, impl: impl[mode as ChildConfig['mode']], threads };
    rows.push({ ...base, metric: 'score', unit: 'rows/s', value: median(rs.map((r) => r.rows / r.seconds)) });
    rows.push({ ...base, metric: 'peak-rss', unit: 'MB', value: median(rs.map((r) => r.peakMB)) });
    rows.push({ ...base, metric: 'start-rss', unit: 'MB', value: median(rs.map((r) => r.startMB)) });
  }
  return rows;
}

export async function runStreamSuite(opts: SuiteOptions): Promise<Row[]> {
  // Streaming is meant to use every core (parsing on the main thread, the kernels on their pool):
  // one thread count, the largest asked for.
  const threads = Math.max(...opts.threads);
  const rounds = Math.min(opts.repeats, 3);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-stream-'));
  const rows: Row[] = [];
  try {
    progress(`scale ${SCALE}: log ${mb(LOG_BYTES)} (subset ${LOG_SUBSET_ROWS} rows), CSV ${CSV_ROWS} rows (subset ${CSV_SUBSET_ROWS}); files in ${dir}`);
    let t = performance.now();
    const log = join(dir, 'log.jsonl');
    const logSubset = join(dir, 'log-subset.jsonl');
    const { texts, rows: logRows } = await writeLog(log, logSubset, LOG_BYTES, LOG_SUBSET_ROWS);
    progress(`wrote ${log}: ${mb(statSync(log).size)}, ${logRows} lines (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    const tokenizer = new CharTokenizer(defaultRecipe.tokenizer).fitOnTexts(texts);
    const lstm = new Sequential(defaultRecipe.layers(tokenizer.vocabSize), { seed: 1 });
    lstm.build([null]);
    const lstmPath = join(dir, 'log-breach.vigil');
    await lstm.save(lstmPath, { preprocessing: { tokenizer, pad: { maxlen: MAXLEN, padding: 'pre', truncating: 'pre' } } });

    t = performance.now();
    const csv = join(dir, 'table.csv');
    const csvSubset = join(dir, 'table-subset.csv');
    await writeCsv(csv, csvSubset, CSV_ROWS, CSV_SUBSET_ROWS);
    progress(`wrote ${csv}: ${mb(statSync(csv).size)}, ${CSV_ROWS} rows (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    const train = csvRows(1e6, 100_000);
    const forest = await new IsolationForest({ nEstimators: 100, maxSamples: 256, seed: 0 }).fit({ data: train, shape: [100_000, FEATURES] });
    const forestPath = join(dir, 'iforest.vigil');
    await forest.save(forestPath);

    const lstmCase = (what: string) => `lstm128 log jsonl ${what}`;
    const forestCase = (what: string) => `iforest100 csv x${FEATURES} ${what}`;
    rows.push(...measureCase(forestCase(`${CSV_SUBSET_ROWS.toLocaleString('en-US')} rows`), 'detector', forestPath, csvSubset,
      ['stream', 'memory', 'cli'], rounds, threads, DETECTOR_BATCH, dir));
    rows.push(...measureCase(forestCase(`${CSV_ROWS.toLocaleString('en-US')} rows`), 'detector', forestPath, csv, ['stream', 'cli'], 1, threads,
      DETECTOR_BATCH, dir));
    rows.push(...measureCase(lstmCase(`${LOG_SUBSET_ROWS.toLocaleString('en-US')} rows`), 'text', lstmPath, logSubset,
      ['stream', 'memory', 'cli'], rounds, threads, TEXT_BATCH, dir));
    rows.push(...measureCase(lstmCase(`${(statSync(log).size / 1e9).toFixed(2)} GB`), 'text', lstmPath, log, ['stream'], 1, threads, TEXT_BATCH, dir));
  } catch (e) {
    note(`stream suite failed: ${(e as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
