// npm run bench [-- --suite gemm,lstm,fit,conv1d,iforest,ocsvm,rbm,lstm-seq,stream,cuda] [--json FILE] [--threads 1,2] [--repeats 5] [--simd avx2] [--conv1d direct]
// Measures vigil and its peers in one process run (python peers as sequential child processes), prints
// the tables with the machine ceilings, and optionally writes every row as JSON.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs as parseArgs_ } from 'node:util';
import { backend, setSimdCap, type SimdLevel } from '../ts/bindings/backend.ts';
import { setConv1dAlgorithm, type Conv1dAlgorithm } from '../ts/bindings/conv1d.ts';
import { type Row, type SuiteOptions } from './harness.ts';
import { measureMachine } from './machine.ts';
import { printReport } from './report.ts';
import { runConv1dSuite } from './suites/conv1d.ts';
import { runCudaSuite } from './suites/cuda.ts';
import { runFitSuite } from './suites/fit.ts';
import { runGemmSuite } from './suites/gemm.ts';
import { runIforestSuite } from './suites/iforest.ts';
import { runRbmSuite } from './suites/rbm.ts';
import { runLstmSuite } from './suites/lstm.ts';
import { runLstmSeqSuite } from './suites/lstm_seq.ts';
import { runOcsvmSuite } from './suites/ocsvm.ts';
import { runOnnxSuite } from './suites/onnx.ts';
import { runStreamSuite } from './suites/stream.ts';

const SUITES: Record<string, (o: SuiteOptions) => Promise<Row[]>> = {
  gemm: runGemmSuite, lstm: runLstmSuite, fit: runFitSuite, conv1d: runConv1dSuite, iforest: runIforestSuite,
  ocsvm: runOcsvmSuite, rbm: runRbmSuite, 'lstm-seq': runLstmSeqSuite, stream: runStreamSuite,
  onnx: runOnnxSuite, cuda: runCudaSuite,
};
const ALL = [...Object.keys(SUITES), 'machine'];
// Run only when named: `stream` writes ~2 GB of files and scores them for about half an hour.
const ON_REQUEST = ['stream'];

const usage = `usage: npm run bench [-- options]
  --suite NAME[,NAME]   ${ALL.join(', ')} (default: all but ${ON_REQUEST.join(', ')}; machine ceilings are measured with any suite)
  --json FILE           also write the rows as a JSON array of { suite, case, impl, threads, metric, unit, value }
  --threads LIST        thread counts, e.g. 1,2 (default: 1,2)
  --repeats N           timed repeats after the warm-up, median reported (default: 5; tfjs uses at most 3)
  --simd LEVEL          cap vigil's kernels at avx512, avx2 or generic (default: the best the CPU has)
  --conv1d ALGORITHM    vigil's CPU Conv1D forward: auto (default: Winograd for kernel 3 at 16+ channels), direct or winograd`;

function fail(msg: string): never {
  console.error(`bench: ${msg}\n${usage}`);
  process.exit(2);
}

const readArgs = (args: string[]) =>
  parseArgs_({
    args,
    options: {
      suite: { type: 'string' },
      json: { type: 'string' },
      threads: { type: 'string', default: '1,2' },
      repeats: { type: 'string', default: '5' },
      simd: { type: 'string' },
      conv1d: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;

function parseArgs(argv: string[]) {
  let parsed: ReturnType<typeof readArgs>;
  try {
    parsed = readArgs(argv);
  } catch (e) {
    fail((e as Error).message);
  }
  if (parsed.help) {
    console.log(usage);
    process.exit(0);
  }
  const suites = parsed.suite === undefined ? ALL.filter((n) => !ON_REQUEST.includes(n)) : parsed.suite.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = suites.filter((n) => !ALL.includes(n));
  if (unknown.length > 0 || suites.length === 0) fail(`unknown suite ${unknown.join(', ') || '(empty)'}`);
  const threads = parsed.threads.split(',').map((x) => Number(x.trim()));
  if (threads.some((t) => !Number.isInteger(t) || t < 1 || t > 256)) fail(`bad --threads ${parsed.threads}`);
  const repeats = Number(parsed.repeats);
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100) fail(`bad --repeats ${parsed.repeats}`);
  const simd = parsed.simd as SimdLevel | undefined;
  if (simd !== undefined && !['avx512', 'avx2', 'generic'].includes(simd)) fail(`bad --simd ${simd}`);
  const conv1d = parsed.conv1d as Conv1dAlgorithm;
  if (!['auto', 'direct', 'winograd'].includes(conv1d)) fail(`bad --conv1d ${conv1d}`);
  return { suites, json: parsed.json ?? null, threads: [...new Set(threads)], repeats, simd, conv1d };
}

const args = parseArgs(process.argv.slice(2));
// A cap on vigil's kernels (peers are unaffected), to measure e.g. the AVX2 path on an AVX-512 machine.
if (args.simd) setSimdCap(args.simd);
// The direct forward next to the Winograd one in the same build and session (before/after rows).
setConv1dAlgorithm(args.conv1d);
const suiteOpts: SuiteOptions = { threads: args.threads, repeats: args.repeats };
console.log(
  `vigil bench: suites ${args.suites.join(', ')}; threads ${args.threads.join(', ')} (${availableParallelism()} cores); ` +
    `warm-up + median of ${args.repeats}; vigil kernels ${backend().simd}, conv1d ${args.conv1d}; node ${process.version}`,
);

const rows: Row[] = [];
const started = Date.now();
for (const name of args.suites) {
  if (name === 'machine') continue;
  console.log(`\n[${name}]`);
  const t0 = Date.now();
  rows.push(...(await SUITES[name](suiteOpts)));
  console.log(`  (${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log('\n[machine]');
rows.push(...(await measureMachine(suiteOpts, rows.filter((r) => r.suite === 'gemm'))));

printReport(rows, args.threads);
console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (args.json) {
  writeFileSync(args.json, JSON.stringify(rows, null, 2) + '\n');
  console.log(`wrote ${rows.length} rows to ${args.json}`);
}
// tfjs and onnxruntime keep handles open; the run is over.
process.exit(0);
