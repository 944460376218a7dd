#!/usr/bin/env node
// The `vigil` command. `main(argv)` does the work and returns the exit code (0 ok, 1 a failed run,
// 2 a usage error), so tests call it in-process; the process only exits when this file is the
// program being run.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { removePendingTempFiles } from './io/atomic.ts';
import { EXPERIMENTS, formatReport, PROTOCOLS, reportJSON, runExperiment } from './experiments/index.ts';
import type { ProtocolName } from './experiments/index.ts';
import { epochLines, progressBar } from './experiments/progress.ts';
import { MAX_EPOCHS, MAX_ROWS, MAX_SEED, parseFlags, positiveInt, UsageError, writeJson } from './cli/common.ts';
import { distinctFiles, inputFile, outputFile } from './cli/paths.ts';
import type { Io } from './cli/common.ts';
import { SCORE_USAGE, scoreCommand } from './cli/score.ts';
import { IMPORT_USAGE, importCommand } from './cli/import.ts';
import { NAB_USAGE, nabCommand } from './cli/nab.ts';
import { NAB_EVAL_OPTIONS, NAB_EVAL_USAGE, NAB_EXPERIMENTS, nabEvalCommand } from './cli/nab-eval.ts';
import { TABULAR_IDS, TABULAR_OPTIONS, tabularEvalCommand } from './cli/tabular.ts';
import { CREDITCARD_TCN_OPTIONS, CREDITCARD_TCN_USAGE, creditcardTcnCommand } from './cli/creditcard-tcn.ts';
import { CREDITCARD_TCN_ID } from './experiments/tabular/creditcard-tcn.ts';
import { TRAIN_USAGE, trainCommand } from './cli/train.ts';
import { EXPORT_USAGE, exportCommand } from './cli/export.ts';
import type { TrainOverrides } from './cli/train.ts';

export type { Io } from './cli/common.ts';

const ids = Object.keys(EXPERIMENTS);

export const EVAL_USAGE = `usage: vigil eval <experiment> [options]

experiments: ${ids.join(', ')}, nab-lstm, nab-tcn (their own options: vigil eval nab-lstm --help)

options:
  --protocol seed|default  seed: the notebook's model, optimiser and epochs; default: vigil's own (default)
  --epochs N               override the epoch budget (a cap under early stopping)
  --data FILE              train and test on FILE (the bundled data's format) instead of the bundled data
  --test FILE              train on all of the data, report on FILE (same format) instead of a split
  --seed N                 seed of the split and the model (default 42, the protocol's)
  --limit N                use N rows of the data (a seeded, label-stratified subset), for quick checks
  --json FILE              also write { experiment, metrics, trainSeconds, scoreSeconds, samplesPerSecond }
  -v, --verbose            a progress bar per epoch (on a terminal)
  -h, --help               this text

tabular detector experiments: ${TABULAR_IDS.join(', ')}
  vigil eval <tabular experiment> [--data FILE] [--test FILE] [--seed N] [--seeds K] [--json FILE] [-v]
  (vigil eval ${TABULAR_IDS[0]} --help for details)

sequence classifiers on tabular rows: ${CREDITCARD_TCN_ID} (the book's TCNs; vigil eval ${CREDITCARD_TCN_ID} --help)`;

export const USAGE = `${EVAL_USAGE}

${NAB_EVAL_USAGE}

${CREDITCARD_TCN_USAGE}

${TRAIN_USAGE}

${SCORE_USAGE}

${NAB_USAGE}

${EXPORT_USAGE}

${IMPORT_USAGE}

exit status: 0 done, 1 the run failed (bad data, unreadable or wrong model file), 2 a usage error`;

const COMMAND_USAGE: Record<string, string> = {
  eval: EVAL_USAGE, train: TRAIN_USAGE, score: SCORE_USAGE, nab: NAB_USAGE, export: EXPORT_USAGE, import: IMPORT_USAGE,
};

const EVAL_OPTIONS = {
  protocol: { type: 'string' },
  epochs: { type: 'string' },
  data: { type: 'string' },
  test: { type: 'string' },
  seed: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * The experiment `vigil eval` is asked for: the first positional, wherever it stands among the
 * options. Every eval command's flags are read as declared, so that a value (`--json kdd-iforest`)
 * is not taken for the experiment.
 */
function experimentArg(args: string[]): { id: string; index: number } | null {
  const { tokens } = parseArgs({
    args, strict: false, allowPositionals: true, tokens: true,
    options: { ...EVAL_OPTIONS, ...TABULAR_OPTIONS, ...CREDITCARD_TCN_OPTIONS, ...NAB_EVAL_OPTIONS },
  });
  const first = tokens.find((t) => t.kind === 'positional');
  return first?.kind === 'positional' ? { id: first.value, index: first.index } : null;
}

async function evalCommand(args: string[], io: Io): Promise<number> {
  const first = experimentArg(args);
  if (first && Object.hasOwn(NAB_EXPERIMENTS, first.id)) {
    return nabEvalCommand({ experiment: NAB_EXPERIMENTS[first.id]!, args: args.filter((_, i) => i !== first.index) }, io);
  }
  if (first && TABULAR_IDS.includes(first.id)) return tabularEvalCommand(args, io);
  if (first?.id === CREDITCARD_TCN_ID) return creditcardTcnCommand(args, io);
  const parsed = parseFlags({
    args,
    allowPositionals: true,
    strict: true,
    options: EVAL_OPTIONS,
  });
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`vigil eval needs an experiment: ${ids.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`vigil eval takes one experiment, got ${positionals.join(' ')}`);
  const id = positionals[0];
  const exp = Object.hasOwn(EXPERIMENTS, id) ? EXPERIMENTS[id] : undefined;
  if (!exp) throw new UsageError(`unknown experiment ${JSON.stringify(id)}; choose one of ${ids.join(', ')}`);
  const protocol = (o.protocol ?? 'default') as ProtocolName;
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`--protocol must be ${PROTOCOLS.join(' or ')}, got ${JSON.stringify(o.protocol)}`);
  const epochs = positiveInt('--epochs', o.epochs, 1, MAX_EPOCHS);
  const seed = positiveInt('--seed', o.seed, 0, MAX_SEED);
  const limit = positiveInt('--limit', o.limit, 4, MAX_ROWS);
  const json = outputFile('--json', o.json, false);
  const dataPath = inputFile('--data', o.data, false, 'text');
  const testPath = inputFile('--test', o.test, false, 'text');
  distinctFiles([['--json', json]], [['--data', dataPath], ['--test', testPath]]);

  const progress = io.progressStream === undefined ? (process.stderr.isTTY ? process.stderr : null) : io.progressStream;
  const callbacks = [epochLines(io.stderr)];
  const report = await runExperiment(exp, {
    protocol, epochs, seed, limit, dataPath, testPath, callbacks,
    onStart: (info) => {
      io.stderr.write(
        `${info.experiment} (protocol ${info.protocol}): ${info.trainRows} train / ${info.testRows} test rows, ` +
          `vocab ${info.vocabSize}, up to ${info.epochs} epochs\n`,
      );
      if (o.verbose && progress) callbacks.push(progressBar(info.batchesPerEpoch, info.epochs, progress));
    },
  });
  io.stdout.write(`${formatReport(report)}\n`);
  if (json !== undefined) await writeJson(json, reportJSON(report));
  return 0;
}

/**
 * Runs `vigil <argv...>` and returns the exit code. `hooks.recipe` replaces the default recipe of
 * `vigil train` (tests use a small model).
 */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr },
  hooks: TrainOverrides = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      (command === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'eval') return await evalCommand(rest, io);
    if (command === 'train') return await trainCommand(rest, io, hooks);
    if (command === 'score') return await scoreCommand(rest, io);
    if (command === 'nab') return await nabCommand(rest, io);
    if (command === 'export') return await exportCommand(rest, io);
    if (command === 'import') return await importCommand(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)}; try: vigil eval|train|score|nab|export|import --help`);
  } catch (err) {
    // The reader of the output went away (vigil score ... | head): it has what it wanted, so end
    // quietly, as a Unix filter does on SIGPIPE (Node ignores the signal and reports EPIPE instead).
    if ((err as NodeJS.ErrnoException | null)?.code === 'EPIPE') return 0;
    if (err instanceof UsageError) {
      io.stderr.write(`vigil: ${err.message}\n\n${COMMAND_USAGE[command ?? ''] ?? USAGE}\n`);
      return 2;
    }
    // One line, never a stack: a thrown non-Error (a string, a rejected worker's value) says what it is.
    io.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // Ctrl-C or a kill during a long write (vigil score --output, a model save): remove the hidden
  // temporary files of the writes under way (their targets are untouched until the rename), then
  // end as the signal would have ended the process.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      removePendingTempFiles();
      process.kill(process.pid, signal);
    });
  }
  // A closed pipe is main()'s to report (above); left unhandled here, the stream's 'error' event would crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  process.exitCode = await main(process.argv.slice(2));
}
