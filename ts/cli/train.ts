// `vigil train`: fit vigil's default recipe to a user's CSV of text + label and save a model file.
import { readCustomCsvAsync, trainCustom } from '../experiments/custom.ts';
import type { TrainCustomOptions } from '../experiments/custom.ts';
import { epochLines, progressBar } from '../experiments/progress.ts';
import { columnFlags, delimiter, finiteNumber, headerFlag, MAX_EPOCHS, MAX_SEED, metricRows, metricsJSON, parseFlags, positiveInt, table, UsageError, writeJson } from './common.ts';
import { distinctFiles, inputFile, outputFile } from './paths.ts';
import type { Io } from './common.ts';
import { TRAIN_DETECTOR_USAGE, trainDetectorCommand, wantsDetector } from './train_detector.ts';

export const TRAIN_USAGE = `usage: vigil train --data FILE.csv --text-column COL --label-column COL --model OUT.vigil [options]

  Trains vigil's default model (Embedding -> LSTM(128) -> Dense(1, sigmoid), early stopping) on
  your own texts and 0/1 labels, and saves it with its tokenizer to one model file.

  --data FILE              CSV (RFC 4180: quoted fields may hold commas and newlines; .gz read too)
  --text-column COL        column of the texts: a header name or a 0-based index
  --label-column COL       column of the labels, 0 or 1 (same forms)
  --positive VALUE         labels are two other values: VALUE means 1, the other one 0 (saved with the model)
  --model FILE             where to write the model (atomically)
  --maxlen N               characters per text; longer texts keep their last N (default 256)
  --epochs N               epoch cap under early stopping (default 40)
  --validation-split F     share of the rows held out, stratified, for early stopping and the reported
                           metrics (default 0.1; 0: no validation, train all epochs, metrics on training rows)
  --seed N                 seed of the split, weights and shuffling (default 42)
  --header | --no-header   the first row names the columns (default --header)
  --delimiter C            field separator (default ","; "tab" for tabs)
  --json FILE              also write the metrics and training figures as JSON
  -v, --verbose            a progress bar per epoch (on a terminal)

  Texts are used as they are (lower-cased, not trimmed). The vocabulary comes from the training
  rows; a character never seen there maps to an "unknown" index. An empty text is all padding and
  gets one fixed score. Prints the validation metrics (threshold 0.5).

${TRAIN_DETECTOR_USAGE}`;

/** Test hook: options passed through to trainCustom (a small recipe). */
export type TrainOverrides = Pick<TrainCustomOptions, 'recipe'>;

export async function trainCommand(args: string[], io: Io, overrides: TrainOverrides = {}): Promise<number> {
  if (wantsDetector(args)) return trainDetectorCommand(args, io);
  const parsed = parseFlags({
    args,
    strict: true,
    options: {
      data: { type: 'string' },
      'text-column': { type: 'string' },
      'label-column': { type: 'string' },
      positive: { type: 'string' },
      model: { type: 'string' },
      maxlen: { type: 'string' },
      epochs: { type: 'string' },
      'validation-split': { type: 'string' },
      seed: { type: 'string' },
      header: { type: 'boolean' },
      'no-header': { type: 'boolean' },
      delimiter: { type: 'string' },
      json: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const o = parsed.values;
  if (o.help) {
    io.stdout.write(`${TRAIN_USAGE}\n`);
    return 0;
  }
  if (o['text-column'] === undefined) throw new UsageError('--text-column is required (a header name or a 0-based index)');
  if (o['label-column'] === undefined) throw new UsageError('--label-column is required (a header name or a 0-based index)');
  columnFlags(o, ['text-column', 'label-column']);
  if (o['text-column'] === o['label-column']) throw new UsageError('--text-column and --label-column must be different columns');
  const header = headerFlag(o);
  const maxlen = positiveInt('--maxlen', o.maxlen, 1, 1 << 20);
  const epochs = positiveInt('--epochs', o.epochs, 1, MAX_EPOCHS);
  const validationSplit = finiteNumber('--validation-split', o['validation-split'], 0, 1, 'high');
  const seed = positiveInt('--seed', o.seed, 0, MAX_SEED);
  const delim = delimiter(o.delimiter);
  if (o.positive !== undefined && o.positive.trim() === '') throw new UsageError('--positive needs a label value');
  // The files last: every mistake in the flags is reported first, as a usage error.
  const modelPath = outputFile('--model', o.model, true)!;
  const json = outputFile('--json', o.json, false);
  const data = inputFile('--data', o.data, true, 'text')!;
  distinctFiles([['--model', modelPath], ['--json', json]], [['--data', data]]);

  const d = await readCustomCsvAsync(data, {
    textColumn: o['text-column'], labelColumn: o['label-column'], header, delimiter: delim, positive: o.positive,
  });
  if (d.labelNames) {
    io.stderr.write(`labels: ${JSON.stringify(d.labelNames[0])} -> 0, ${JSON.stringify(d.labelNames[1])} -> 1\n`);
  }
  const progress = io.progressStream === undefined ? (process.stderr.isTTY ? process.stderr : null) : io.progressStream;
  const callbacks = [epochLines(io.stderr)];
  const r = await trainCustom({ texts: d.texts, labels: d.labels! }, {
    maxlen, epochs, validationSplit, seed, callbacks, recipe: overrides.recipe,
    extra: {
      textColumn: header ? d.textColumn.name : null,
      labelColumn: header ? d.labelColumn!.name : null,
      labelNames: d.labelNames,
    },
    onStart: (info) => {
      io.stderr.write(`${data}: ${info.trainRows} training / ${info.validationRows} validation rows, vocab ${info.vocabSize}, ` +
        `up to ${info.epochs} epochs\n`);
      if (o.verbose && progress) callbacks.push(progressBar(info.batchesPerEpoch, info.epochs, progress));
    },
  });
  await r.model.save(modelPath, { preprocessing: r.preprocessing });

  const rows: Array<[string, string]> = [
    ...metricRows(r.metrics),
    ['epochs run', `${r.epochsRun}${r.stoppedEarly ? ' (early stop)' : ''}, weights of epoch ${r.bestEpoch}`],
    ['train', `${r.trainSeconds.toFixed(1)} s`],
  ];
  io.stdout.write(
    `trained on ${r.trainRows} rows, metrics on ${r.metricsOn === 'validation' ? `${r.validationRows} validation` : `the ${r.trainRows} training`} rows; ` +
      `vocab ${r.vocabSize}, maxlen ${r.maxlen}\n  ${r.describe}\n${table(rows)}\nmodel saved to ${modelPath}\n`,
  );
  if (json !== undefined) {
    const out = {
      model: modelPath, metricsOn: r.metricsOn, metrics: metricsJSON(r.metrics), trainRows: r.trainRows,
      validationRows: r.validationRows, vocabSize: r.vocabSize, maxlen: r.maxlen, epochsRun: r.epochsRun,
      bestEpoch: r.bestEpoch, trainSeconds: r.trainSeconds, labelNames: d.labelNames,
    };
    await writeJson(json, out);
  }
  return 0;
}
