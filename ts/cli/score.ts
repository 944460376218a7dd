// `vigil score`: load a model file made by `vigil train` and score a CSV's texts.
import { writeFileSync } from 'node:fs';
import { loadScoringModel, readCustomCsv, scoreMetrics, scoreTexts } from '../experiments/custom.ts';
import { delimiter, fileFlag, headerFlag, metricRows, metricsJSON, table, UsageError, parseFlags } from './common.ts';
import type { Io } from './common.ts';
import { SCORE_TENSOR_USAGE, scoreTensorCommand, wantsTensorScore } from './score_tensor.ts';

export const SCORE_USAGE = `usage: vigil score --model FILE.vigil --data FILE.csv [--text-column COL] [options]

  Scores each row's text with a model saved by vigil train: the probability of label 1.

  --model FILE             the model file
  --data FILE              CSV to score (same reader and options as vigil train)
  --text-column COL        column of the texts: a header name or a 0-based index
                           (default: the training file's text column name, with a header)
  --label-column COL       also report accuracy, ROC AUC, PR AUC, F1 against this column's labels
                           (0/1, or the two values the model was trained with via --positive)
  --out FILE               write the scores CSV there instead of to stdout
  --json FILE              write { model, rows, metrics, scoreSeconds, samplesPerSecond } (metrics null without labels)
  --header | --no-header   the first row names the columns (default --header)
  --delimiter C            field separator (default ","; "tab" for tabs)

  The scores CSV has a header "row,score"; row is the 0-based data row (the header not counted).
  Metrics go to stdout with --out, else to stderr so stdout holds only the CSV.

${SCORE_TENSOR_USAGE}`;

/** A score as the shortest decimal that reads back as the same float32. */
function formatScore(s: number): string {
  for (let p = 6; p < 9; p++) {
    const t = s.toPrecision(p);
    if (Math.fround(Number(t)) === s) return String(Number(t));
  }
  return String(s);
}

export async function scoreCommand(args: string[], io: Io): Promise<number> {
  // An ONNX model or a tensor input (.npy/.json) is scored as one tensor (score_tensor.ts).
  if (wantsTensorScore(args)) return scoreTensorCommand(args, io);
  const parsed = parseFlags({
    args,
    strict: true,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      'text-column': { type: 'string' },
      'label-column': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      header: { type: 'boolean' },
      'no-header': { type: 'boolean' },
      delimiter: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const o = parsed.values;
  if (o.help) {
    io.stdout.write(`${SCORE_USAGE}\n`);
    return 0;
  }
  const modelPath = fileFlag('--model', o.model, true)!;
  const data = fileFlag('--data', o.data, true)!;
  const outPath = fileFlag('--out', o.out, false);
  const json = fileFlag('--json', o.json, false);
  const header = headerFlag(o);
  const delim = delimiter(o.delimiter);
  if (o['text-column'] !== undefined && o['text-column'] === o['label-column']) {
    throw new UsageError('--text-column and --label-column must be different columns');
  }
  if (o['text-column'] === undefined && !header) throw new UsageError('--text-column is required with --no-header');

  const m = await loadScoringModel(modelPath);
  const textColumn = o['text-column'] ?? m.textColumn;
  if (textColumn === null) throw new UsageError('--text-column is required: the model does not record its training text column');
  const d = readCustomCsv(data, {
    textColumn, labelColumn: o['label-column'], header, delimiter: delim, labelNames: m.labelNames,
  });
  const t0 = performance.now();
  const scores = await scoreTexts(m, d.texts);
  const scoreSeconds = (performance.now() - t0) / 1000;

  const lines = ['row,score'];
  for (let i = 0; i < scores.length; i++) lines.push(`${i},${formatScore(scores[i])}`);
  const csv = `${lines.join('\n')}\n`;
  if (outPath !== undefined) writeFileSync(outPath, csv);
  else io.stdout.write(csv);

  const metrics = d.labels ? scoreMetrics(d.labels, scores) : null;
  const report = outPath !== undefined ? io.stdout : io.stderr;
  report.write(`scored ${scores.length} rows of ${data} in ${scoreSeconds.toFixed(2)} s${outPath !== undefined ? `; scores in ${outPath}` : ''}\n`);
  if (metrics) report.write(`${table(metricRows(metrics))}\n`);
  if (json !== undefined) {
    const out = {
      model: modelPath, rows: scores.length, metrics: metrics && metricsJSON(metrics), scoreSeconds,
      samplesPerSecond: scores.length / Math.max(scoreSeconds, 1e-9),
    };
    writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
  }
  return 0;
}
