// `vigil train --detector iforest|ocsvm|rbm|autoencoder`: fit a tabular detector to a user's CSV
// (experiments/detector_train.ts) and save it with its preprocessing, so that `vigil score`
// scores raw rows of the same layout.
import { DETECTOR_KINDS, readTableAsync, trainDetector } from '../experiments/detector_train.ts';
import type { DetectorKind } from '../experiments/detector_train.ts';
import { columnFlags, columnList, delimiter, finiteNumber, headerFlag, MAX_EPOCHS, MAX_SEED, parseFlags, positiveInt, table, UsageError, writeJson } from './common.ts';
import { distinctFiles, inputFile, outputFile } from './paths.ts';
import type { Io } from './common.ts';

export const TRAIN_DETECTOR_USAGE = `usage: vigil train --detector KIND --data FILE.csv --model OUT.vigil [options]

  Fits an anomaly detector to the rows of your CSV (unsupervised) and saves it with the column
  encoding and scaling it learned, so that vigil score --model OUT.vigil --input NEW.csv scores
  raw rows of the same layout (score higher = more anomalous, prediction 1 = anomaly).

  --detector KIND          ${DETECTOR_KINDS.join(', ')}
  --data FILE              CSV (RFC 4180; .gz read too) (--csv FILE is the same)
  --model FILE             where to write the model (atomically) (--out FILE is the same)
  --columns A,B,...        the feature columns (header names or 0-based indices), in this order
                           (default: every column but --label-column and --id-column)
  --label-column COL       a column to leave out of the features (training uses no labels)
  --id-column COL          a column to leave out of the features
  --contamination F        expected share of anomalies in the rows: the threshold (default 0.1)
  --epochs N               rbm and autoencoder epochs (defaults 20 and 50)
  --seed N                 seed of the detector (default 0)
  --extension-level N      iforest: the extended isolation forest's level, below the feature count
                           (default 0: scikit-learn's axis-parallel splits)
  --header | --no-header   the first row names the columns (default --header)
  --delimiter C            field separator (default ","; "tab" for tabs)
  --json FILE              also write { model, detector, rows, features, categorical, threshold, trainSeconds }

  A column is categorical when any of its cells is not a decimal number: its values get ordinal
  codes, and a value never seen in training scores as code -1. ocsvm, rbm and autoencoder see
  every feature standardised on the training rows; iforest sees the codes and numbers as they are.`;

/** True when the command line asks for a detector (vigil train routes it here). */
export function wantsDetector(args: readonly string[]): boolean {
  return args.some((a) => a === '--detector' || a.startsWith('--detector='));
}

export async function trainDetectorCommand(args: string[], io: Io): Promise<number> {
  const { values: o } = parseFlags({
    args,
    strict: true,
    options: {
      detector: { type: 'string' },
      data: { type: 'string' },
      csv: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      columns: { type: 'string' },
      'label-column': { type: 'string' },
      'id-column': { type: 'string' },
      contamination: { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      'extension-level': { type: 'string' },
      header: { type: 'boolean' },
      'no-header': { type: 'boolean' },
      delimiter: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (o.help) {
    io.stdout.write(`${TRAIN_DETECTOR_USAGE}\n`);
    return 0;
  }
  const kind = o.detector as DetectorKind;
  if (!DETECTOR_KINDS.includes(kind)) throw new UsageError(`--detector must be one of ${DETECTOR_KINDS.join(', ')}, got ${JSON.stringify(o.detector)}`);
  if (o.data !== undefined && o.csv !== undefined) throw new UsageError('give --data or --csv (the same flag), not both');
  if (o.model !== undefined && o.out !== undefined) throw new UsageError('give --model or --out (the same flag), not both');
  const contamination = finiteNumber('--contamination', o.contamination, 0, 0.5, 'low');
  const epochs = positiveInt('--epochs', o.epochs, 1, MAX_EPOCHS);
  if (epochs !== undefined && kind !== 'rbm' && kind !== 'autoencoder') throw new UsageError('--epochs is for rbm and autoencoder');
  const seed = positiveInt('--seed', o.seed, 0, MAX_SEED);
  const extensionLevel = positiveInt('--extension-level', o['extension-level'], 0, 1 << 20);
  if (extensionLevel !== undefined && kind !== 'iforest') throw new UsageError('--extension-level is for iforest');
  columnFlags(o, ['label-column', 'id-column']);
  const exclude = [o['label-column'], o['id-column']].filter((c): c is string => c !== undefined);
  const tableOptions = { columns: columnList('--columns', o.columns), exclude, header: headerFlag(o), delimiter: delimiter(o.delimiter) };
  // The files last: every mistake in the flags is reported first, as a usage error.
  const modelFlag = o.out !== undefined ? '--out' : '--model';
  const modelPath = outputFile(modelFlag, o.model ?? o.out, true)!;
  const json = outputFile('--json', o.json, false);
  const dataFlag = o.csv !== undefined ? '--csv' : '--data';
  const data = inputFile(dataFlag, o.data ?? o.csv, true, 'text')!;
  distinctFiles([[modelFlag, modelPath], ['--json', json]], [[dataFlag, data]]);

  const t = await readTableAsync(data, tableOptions);
  io.stderr.write(`${data}: ${t.rows.length} rows, ${t.features.length} feature column(s)` +
    `${t.categorical.length ? `, categorical: ${t.categorical.join(', ')}` : ''}\n`);
  const t0 = performance.now();
  const det = await trainDetector(kind, t, { contamination, seed, epochs, extensionLevel });
  const trainSeconds = (performance.now() - t0) / 1000;
  await det.save(modelPath);
  io.stdout.write(`${det.modelType} fitted on ${t.rows.length} rows\n${table([
    ['features', t.features.join(', ')],
    ['threshold', `${det.threshold.toPrecision(6)} (score above it: anomaly)`],
    ['train', `${trainSeconds.toFixed(2)} s`],
  ])}\nmodel saved to ${modelPath}\n`);
  if (json !== undefined) {
    const out = {
      model: modelPath, detector: det.modelType, rows: t.rows.length, features: t.features, categorical: t.categorical,
      threshold: det.threshold, trainSeconds,
    };
    await writeJson(json, out);
  }
  return 0;
}
