// `vigil eval nab-lstm` and `vigil eval nab-tcn`: a streaming detector over a NAB folder, NAB's
// scores, and optionally NAB results files, SVG pictures and a JSON summary.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NAB_LSTM } from '../experiments/nab-lstm.ts';
import { formatNab, nabJSON, runNab } from '../experiments/nab-run.ts';
import type { NabExperiment } from '../experiments/nab-run.ts';
import { NAB_TCN } from '../experiments/nab-tcn.ts';
import type { ProtocolName } from '../experiments/run.ts';
import { writeNabResultsAsync } from '../nab/results.ts';
import { writeNabPlots } from '../nab/plots.ts';
import { MAX_EPOCHS, MAX_SEED, parseFlags, positiveInt, UsageError, writeJson } from './common.ts';
import { inputDir, outputDir, outputFile } from './paths.ts';
import type { Io } from './common.ts';

/** The NAB experiments, by id. */
export const NAB_EXPERIMENTS: Readonly<Record<string, NabExperiment>> = Object.freeze({ [NAB_LSTM.id]: NAB_LSTM, [NAB_TCN.id]: NAB_TCN });

export const NAB_EVAL_USAGE = `usage: vigil eval nab-lstm|nab-tcn [options]

  Streams a forecaster (nab-lstm: an LSTM; nab-tcn: a TCN) over every series of a folder in NAB's
  layout (trained on each series' probationary period, no look-ahead) and scores it with NAB's
  scorer: per profile the threshold swept over the whole corpus, per-series and corpus NAB scores,
  point-wise precision/recall/F1.

  --data DIR               a NAB folder (data/, labels/combined_windows.json); default: the bundled
                           data/nab (16 of NAB's 58 series)
  --protocol seed|default  default: vigil's detector (the NAB score); seed (nab-lstm only): the book's
                           protocol, an autoencoder trained on the WHOLE series: a look-ahead
                           baseline, no NAB score
  --seed N                 seed of the models (default 0)
  --epochs N               training epochs (default 20), for quick checks
  --json FILE              write { experiment, metrics: { nab, precision, recall, f1, ... },
                           trainSeconds, scoreSeconds, samplesPerSecond }
  --results DIR            write NAB results (DIR/<detector>/<category>/<detector>_<series>.csv, the
                           profiles' score tables, final_results.json) that vigil nab score rescores
  --plots DIR              write one SVG per series: values, score, flagged rows, labelled windows
                           (drawn by the 'vega' package)
  --allow-unordered-times  accept series rows whose time repeats or goes back (8 of NAB's 58 files)
  -h, --help               this text`;

export const NAB_EVAL_OPTIONS = {
  data: { type: 'string' },
  protocol: { type: 'string' },
  seed: { type: 'string' },
  epochs: { type: 'string' },
  json: { type: 'string' },
  results: { type: 'string' },
  plots: { type: 'string' },
  'allow-unordered-times': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs the command; a usage error prints this command's usage and returns 2. */
export async function nabEvalCommand({ experiment, args }: { experiment: NabExperiment; args: string[] }, io: Io): Promise<number> {
  try {
    return await nabEval(experiment, args, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`vigil: ${err.message}\n\n${NAB_EVAL_USAGE}\n`);
    return 2;
  }
}

async function nabEval(exp: NabExperiment, args: string[], io: Io): Promise<number> {
  const parsed = parseFlags({ args, strict: true, options: NAB_EVAL_OPTIONS });
  const o = parsed.values;
  if (o.help) {
    io.stdout.write(`${NAB_EVAL_USAGE}\n`);
    return 0;
  }
  const protocol = (o.protocol ?? 'default') as ProtocolName;
  if (protocol !== 'default' && protocol !== 'seed') throw new UsageError(`--protocol must be seed or default, got ${JSON.stringify(o.protocol)}`);
  if (protocol === 'seed' && !exp.seed) throw new UsageError(`${exp.id} has no seed protocol (the book ran its LSTM only)`);
  const seed = positiveInt('--seed', o.seed, 0, MAX_SEED);
  const epochs = positiveInt('--epochs', o.epochs, 1, MAX_EPOCHS);
  const json = outputFile('--json', o.json, false);
  const results = outputDir('--results', o.results, false);
  const plots = outputDir('--plots', o.plots, false);
  const dataDir = inputDir('--data', o.data, false);

  const report = await runNab(exp, {
    dataDir, protocol, seed, epochs, allowUnorderedTimes: o['allow-unordered-times'] === true,
    onSeries: (s, done, total) => io.stderr.write(`[${done}/${total}] ${s.key}: ${s.rows} rows, train ${s.trainSeconds.toFixed(1)} s, score ${s.scoreSeconds.toFixed(2)} s\n`),
  });
  io.stdout.write(`${formatNab(report)}\n`);
  if (results !== undefined) {
    const files = await writeNabResultsAsync(results, report.detector, report.corpus, report.scores, report.report);
    io.stdout.write(`  NAB results: ${files.length} files under ${join(results, report.detector)} (rescore: vigil nab score --results ${results})\n`);
  }
  if (plots !== undefined) {
    mkdirSync(plots, { recursive: true });
    const files = await writeNabPlots(plots, report.corpus, report.scores, report.report);
    io.stdout.write(`  pictures: ${files.length} SVG files in ${plots}\n`);
  }
  if (json !== undefined) await writeJson(json, nabJSON(report));
  return 0;
}
