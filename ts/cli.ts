#!/usr/bin/env node
// The `vigil` command. `main(argv)` does the work and returns the exit code (0 ok, 1 a failed run,
// 2 a usage error), so tests call it in-process; the process only exits when this file is the
// program being run.
import { realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXPERIMENTS, formatReport, PROTOCOLS, reportJSON, runExperiment } from './experiments/index.ts';
import type { ProtocolName } from './experiments/index.ts';
import { epochLines, progressBar } from './experiments/progress.ts';
import type { Writer } from './experiments/progress.ts';

export interface Io {
  stdout: Writer;
  stderr: Writer;
  /** Show cli-progress bars (needs a TTY stream; default: process.stderr when it is one). */
  progressStream?: NodeJS.WriteStream | null;
}

const ids = Object.keys(EXPERIMENTS);

export const USAGE = `usage: vigil eval <experiment> [options]

experiments: ${ids.join(', ')}

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

vigil train / vigil score (a user's own CSV) are not available yet: they need model files.`;

class UsageError extends Error {}

function positiveInt(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`${flag} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

async function evalCommand(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        protocol: { type: 'string' },
        epochs: { type: 'string' },
        data: { type: 'string' },
        test: { type: 'string' },
        seed: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`vigil eval needs an experiment: ${ids.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`vigil eval takes one experiment, got ${positionals.join(' ')}`);
  const id = positionals[0];
  const exp = Object.hasOwn(EXPERIMENTS, id) ? EXPERIMENTS[id] : undefined;
  if (!exp) throw new UsageError(`unknown experiment ${JSON.stringify(id)}; choose one of ${ids.join(', ')}`);
  const protocol = (o.protocol ?? 'default') as ProtocolName;
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`--protocol must be ${PROTOCOLS.join(' or ')}, got ${JSON.stringify(o.protocol)}`);
  const epochs = positiveInt('--epochs', o.epochs, 1);
  const seed = positiveInt('--seed', o.seed, 0);
  const limit = positiveInt('--limit', o.limit, 4);
  for (const flag of ['data', 'test', 'json'] as const) {
    if (o[flag] !== undefined && o[flag] === '') throw new UsageError(`--${flag} needs a file name`);
  }

  const progress = io.progressStream === undefined ? (process.stderr.isTTY ? process.stderr : null) : io.progressStream;
  const callbacks = [epochLines(io.stderr)];
  const report = await runExperiment(exp, {
    protocol, epochs, seed, limit, dataPath: o.data, testPath: o.test, callbacks,
    onStart: (info) => {
      io.stderr.write(
        `${info.experiment} (protocol ${info.protocol}): ${info.trainRows} train / ${info.testRows} test rows, ` +
          `vocab ${info.vocabSize}, up to ${info.epochs} epochs\n`,
      );
      if (o.verbose && progress) callbacks.push(progressBar(info.batchesPerEpoch, info.epochs, progress));
    },
  });
  io.stdout.write(`${formatReport(report)}\n`);
  if (o.json !== undefined) writeFileSync(o.json, `${JSON.stringify(reportJSON(report), null, 2)}\n`);
  return 0;
}

/** Runs `vigil <argv...>` and returns the exit code. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      (command === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'eval') return await evalCommand(rest, io);
    if (command === 'train' || command === 'score') {
      io.stderr.write(`vigil ${command}: not available yet (it needs model files, which this version cannot save)\n`);
      return 1;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}; try: vigil eval <experiment>`);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`vigil: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.stderr.write(`vigil: ${(err as Error).message}\n`);
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

if (invokedDirectly()) process.exitCode = await main(process.argv.slice(2));
