// `vigil eval creditcard-tcn`: the book's dilated TCN and ED-TCN on the credit-card rows
// (ts/experiments/tabular/creditcard-tcn.ts), one split seed or several, printed and written with
// the tabular experiments' report, spread and --json keys.
import { CREDITCARD_TCN_ID, CREDITCARD_TCN_PROTOCOL, runCreditcardTcn } from '../experiments/tabular/creditcard-tcn.ts';
import { formatSpread, formatTabularReport, tabularReportJSON } from '../experiments/tabular/run.ts';
import type { TabularReport } from '../experiments/tabular/run.ts';
import { MAX_EPOCHS, parseFlags, positiveInt, seedRange, UsageError, writeJson } from './common.ts';
import { distinctFiles, inputFile, outputFile } from './paths.ts';
import { TABULAR_OPTIONS } from './tabular.ts';
import type { Io } from './common.ts';

export const CREDITCARD_TCN_USAGE = `usage: vigil eval ${CREDITCARD_TCN_ID} [options]

  The book's dilated TCN and ED-TCN classifying credit-card rows read as sequences: ROC AUC, PR AUC
  and accuracy of each on the held-out rows, and the figure the book calls AUC ((precision +
  negative predictive value) / 2 at the 0.5 cut: its roc_auc_score of rounded predictions).
  protocol: ${CREDITCARD_TCN_PROTOCOL}

options:
  --data FILE      a credit-card CSV (Time,V1..V28,Amount,Class) instead of the bundled subsample
  --test FILE      train on all rows of the data, report on FILE (same format)
  --seed N         seed of the split and the models (default 42)
  --seeds K        run seeds N, N+1, ..., N+K-1 and report each model's spread (mean, sd, min, max)
  --epochs N       training epochs (default 30), for quick checks
  --json FILE      write { experiment, metrics, trainSeconds, scoreSeconds, samplesPerSecond, ... } of the
                   dilated TCN (the book's main model) and variants: { dilated: {...}, ed: {...} } in that form
                   (with --seeds: the means, each run and the spread)
  -v, --verbose    one line per training epoch
  -h, --help       this text`;

/** The tabular experiments' flags and an epoch budget. */
export const CREDITCARD_TCN_OPTIONS = { ...TABULAR_OPTIONS, epochs: { type: 'string' } } as const;

export async function creditcardTcnCommand(args: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseFlags({
    args,
    allowPositionals: true,
    strict: true,
    options: CREDITCARD_TCN_OPTIONS,
  });
  if (o.help) {
    io.stdout.write(`${CREDITCARD_TCN_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== CREDITCARD_TCN_ID) {
    throw new UsageError(`vigil eval takes one experiment, got ${positionals.join(' ') || 'none'}`);
  }
  const { first, count } = seedRange(o.seed, o.seeds, 42);
  const epochs = positiveInt('--epochs', o.epochs, 1, MAX_EPOCHS);
  const jsonPath = outputFile('--json', o.json, false);
  const dataPath = inputFile('--data', o.data, false, 'text');
  const testPath = inputFile('--test', o.test, false, 'text');
  distinctFiles([['--json', jsonPath]], [['--data', dataPath], ['--test', testPath]]);

  const byVariant = new Map<string, TabularReport[]>();
  for (let k = 0; k < count; k++) {
    const reports = await runCreditcardTcn({
      seed: first + k, dataPath, testPath, epochs,
      onStart: (i) => io.stderr.write(`${i.experiment} (seed ${i.seed}): ${i.describe}\n`),
      onEpochEnd: o.verbose
        ? (kind, e, l) => io.stderr.write(`  ${kind} epoch ${e + 1}, ${l.seconds.toFixed(2)} s, loss ${l.loss.toFixed(4)}, val loss ${l.valLoss?.toFixed(4) ?? 'n/a'}\n`)
        : undefined,
    });
    for (const r of reports) {
      byVariant.set(r.variant!, [...(byVariant.get(r.variant!) ?? []), r]);
      io.stdout.write(`${formatTabularReport(r)}\n`);
    }
  }
  if (count > 1) for (const runs of byVariant.values()) io.stdout.write(`${formatSpread(runs)}\n`);
  if (jsonPath !== undefined) {
    const variants = Object.fromEntries([...byVariant].map(([v, runs]) => [v, tabularReportJSON(runs)]));
    await writeJson(jsonPath, { ...variants.dilated, variants });
  }
  return 0;
}
