// `vigil eval kdd-rbm|kdd-iforest|kdd-ocsvm|creditcard-rbm`: the tabular detector experiments
// (ts/experiments/tabular/), one seed or several, with the same --json keys as the other
// experiments.
import { formatSpread, formatTabularReport, runTabular, TABULAR_EXPERIMENTS, tabularReportJSON } from '../experiments/tabular/index.ts';
import type { TabularReport } from '../experiments/tabular/index.ts';
import { parseFlags, seedRange, UsageError, writeJson } from './common.ts';
import { distinctFiles, inputFile, outputFile } from './paths.ts';
import type { Io } from './common.ts';

export const TABULAR_IDS = Object.keys(TABULAR_EXPERIMENTS);

export const TABULAR_OPTIONS = {
  data: { type: 'string' },
  test: { type: 'string' },
  seed: { type: 'string' },
  seeds: { type: 'string' },
  json: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const TABULAR_USAGE = `usage: vigil eval <tabular experiment> [options]

tabular experiments: ${TABULAR_IDS.join(', ')}

options:
  --data FILE      the experiment's data in its format instead of the bundled file (KDD: 42 fields a
                   line, gzipped or not; credit card: Time,V1..V28,Amount,Class)
  --test FILE      fit on the protocol's training rows of all of the data, report on FILE (same format)
  --seed N         seed of the split and the detector (default 42)
  --seeds K        the split of seed N with detector seeds N, N+1, ..., N+K-1, and their spread
                   (mean, sd, min, max)
  --json FILE      also write { experiment, metrics, trainSeconds, scoreSeconds, samplesPerSecond, ... }
                   (with --seeds: the means, each run and the spread)
  -v, --verbose    one line per training epoch
  -h, --help       this text`;

export async function tabularEvalCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseFlags({
    args,
    allowPositionals: true,
    strict: true,
    options: TABULAR_OPTIONS,
  });
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.stdout.write(`${TABULAR_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`vigil eval takes one experiment, got ${positionals.join(' ') || 'none'}`);
  const exp = TABULAR_EXPERIMENTS[positionals[0]];
  if (!exp) throw new UsageError(`unknown tabular experiment ${JSON.stringify(positionals[0])}; choose one of ${TABULAR_IDS.join(', ')}`);
  const { first, count } = seedRange(o.seed, o.seeds, exp.defaultSeed);
  const jsonPath = outputFile('--json', o.json, false);
  const dataPath = inputFile('--data', o.data, false, 'text');
  const testPath = inputFile('--test', o.test, false, 'text');
  distinctFiles([['--json', jsonPath]], [['--data', dataPath], ['--test', testPath]]);

  const runs: TabularReport[] = [];
  for (let k = 0; k < count; k++) {
    const report = await runTabular(exp, {
      seed: first + k, splitSeed: first, dataPath, testPath,
      onStart: (i) => io.stderr.write(`${i.experiment} (seed ${i.seed}, split seed ${i.splitSeed}): ${i.describe}\n`),
      onEpochEnd: o.verbose
        ? (e, l) => io.stderr.write(`  epoch ${e + 1}, ${l.seconds.toFixed(2)} s, reconstruction error ${l.reconstructionError.toFixed(5)}\n`)
        : undefined,
    });
    runs.push(report);
    io.stdout.write(`${formatTabularReport(report)}\n`);
  }
  if (runs.length > 1) io.stdout.write(`${formatSpread(runs)}\n`);
  if (jsonPath !== undefined) await writeJson(jsonPath, tabularReportJSON(runs));
  return 0;
}
