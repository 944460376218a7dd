// npm run bench [-- --suite gemm,lstm] [--json FILE] [--threads 1,2] [--repeats 5]
// Measures vigil and its peers in one process run (python peers as sequential child processes), prints
// the tables with the machine ceilings, and optionally writes every row as JSON.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type Row, type SuiteOptions } from './harness.ts';
import { measureMachine } from './machine.ts';
import { printReport } from './report.ts';
import { runGemmSuite } from './suites/gemm.ts';
import { runLstmSuite } from './suites/lstm.ts';

const SUITES: Record<string, (o: SuiteOptions) => Promise<Row[]>> = { gemm: runGemmSuite, lstm: runLstmSuite };
const ALL = [...Object.keys(SUITES), 'machine'];

const usage = `usage: npm run bench [-- options]
  --suite NAME[,NAME]   ${ALL.join(', ')} (default: all; machine ceilings are measured with any suite)
  --json FILE           also write the rows as a JSON array of { suite, case, impl, threads, metric, unit, value }
  --threads LIST        thread counts, e.g. 1,2 (default: 1,2)
  --repeats N           timed repeats after the warm-up, median reported (default: 5; tfjs uses at most 3)`;

function fail(msg: string): never {
  console.error(`bench: ${msg}\n${usage}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const opts = { suites: ALL, json: null as string | null, threads: [1, 2], repeats: 5 };
  for (let i = 0; i < argv.length; i++) {
    let [flag, value] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) fail(`${flag} needs a value`);
    }
    switch (flag) {
      case '--suite': {
        const names = value.split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !ALL.includes(n));
        if (unknown.length > 0 || names.length === 0) fail(`unknown suite ${unknown.join(', ') || '(empty)'}`);
        opts.suites = names;
        break;
      }
      case '--json':
        opts.json = value;
        break;
      case '--threads': {
        const ts = value.split(',').map((s) => Number(s.trim()));
        if (ts.length === 0 || ts.some((t) => !Number.isInteger(t) || t < 1 || t > 256)) fail(`bad --threads ${value}`);
        opts.threads = [...new Set(ts)];
        break;
      }
      case '--repeats': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 100) fail(`bad --repeats ${value}`);
        opts.repeats = n;
        break;
      }
      default:
        fail(`unknown option ${flag}`);
    }
  }
  return opts;
}

const args = parseArgs(process.argv.slice(2));
const suiteOpts: SuiteOptions = { threads: args.threads, repeats: args.repeats };
console.log(
  `vigil bench: suites ${args.suites.join(', ')}; threads ${args.threads.join(', ')} (${availableParallelism()} cores); ` +
    `warm-up + median of ${args.repeats}; node ${process.version}`,
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
