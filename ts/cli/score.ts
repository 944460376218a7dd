// `vigil score`: stream a file of rows (CSV, JSON lines or text lines, gzipped or not, of any size)
// through a saved model: a Sequential text model made by `vigil train`, or a detector saved with
// det.save(). The work is the models' scoreStream (models/stream/); this file reads the flags,
// picks the model kind from the file, and writes the results, a summary and optional metrics.
import { statSync } from 'node:fs';
import { scoreMetrics, scoringModelFromFile } from '../experiments/custom.ts';
import type { ScoringModel } from '../experiments/custom.ts';
import { scoringBar } from '../experiments/progress.ts';
import { detectorFromFile } from '../models/detectors/detector.ts';
import type { Detector } from '../models/detectors/detector.ts';
import type { TabularInput } from '../models/detectors/matrix.ts';
import '../models/detectors/registry.ts';
import type { DataFormatError } from '../models/preprocessing/csv.ts';
import { INPUT_FORMATS, inputFormatFor, openOutputFile, outputFormatFor, writeScores } from '../models/stream/index.ts';
import type { InputFormat, ScoredBatch, StreamInput, StreamOptions, StreamProgress } from '../models/stream/index.ts';
import { columnFlags, columnList, delimiter, headerFlag, MAX_BATCH_SIZE, metricRows, metricsJSON, parseFlags, positiveInt, table, UsageError, writeJson } from './common.ts';
import { distinctFiles, fileFlag, inputFile, outputFile, readModelFlag } from './paths.ts';
import type { Io } from './common.ts';
import { refuseUnscorable, SCORE_TENSOR_USAGE, scoreTensorCommand, wantsTensorScore } from './score_tensor.ts';

export const SCORE_USAGE = `usage: vigil score --model FILE.vigil --input FILE [--output FILE] [options]

  Scores every row of a file with a saved model, streaming it (any size: memory stays flat):
  a text model saved by vigil train (score = the probability of label 1), or a tabular detector
  saved with det.save() (score = its anomaly score, prediction 1 = anomaly).

  --model FILE             the model file
  --input FILE             the rows: CSV, JSON lines (.jsonl, .ndjson) or text lines (.txt, .log),
                           gzipped or not; "-" reads stdin (--data FILE is the same)
  --output FILE            write the scores there (atomically: complete or not at all) instead of to
                           stdout; JSON lines when FILE ends in .jsonl, else CSV (--out FILE is the same)
  --format F               csv, jsonl or lines (default: from the input's name, else csv)
  --text-column COL        text models: CSV: the column of the texts, a header name or a 0-based index
                           (default: the training file's text column, with a header); JSON lines:
                           the field (default: the whole line)
  --columns A,B,...        detectors: the feature columns, in the detector's order (default: every
                           column but the id and label columns)
  --id-column COL          carry this column (or JSON field) into the output as each row's id
  --label-column COL       also report accuracy, ROC AUC, PR AUC, F1 against this column's labels
                           (0/1, or the two values the model was trained with via --positive); keeps
                           one score and label per row in memory for the AUCs
  --on-error stop|skip     a malformed row stops the run with its line number (default), or is
                           skipped, reported on stderr and counted in the summary
  --batch-size N           rows per model call (default 256 for text models, 4096 for detectors)
  --json FILE              write { model, rows, skipped, metrics, scoreSeconds, samplesPerSecond }
                           (metrics null without labels)
  --header | --no-header   the first CSV row names the columns (default --header)
  --delimiter C            CSV field separator (default ","; "tab" for tabs)
  -q, --quiet              no progress bar (it is shown only on a terminal anyway)

  The output has a header "row,score" (text models) or "row,score,prediction" (detectors), with
  "id" after "row" given --id-column; row is the 0-based data row (a CSV header not counted;
  skipped rows leave gaps). Rows come out in input order. The summary and metrics go to stdout
  with --output, else to stderr so stdout holds only the scores.

${SCORE_TENSOR_USAGE}`;

/** Skipped rows printed one by one; the rest are counted. */
const SHOW_SKIPPED = 20;

type Loaded = { kind: 'text'; m: ScoringModel } | { kind: 'detector'; det: Detector<TabularInput> };

/** A Sequential text model or a detector, by the type written in the file. */
function loadModel(path: string): Promise<Loaded> {
  return readModelFlag('--model', path, (file): Loaded => {
    refuseUnscorable(file.header.modelType, path);
    if (file.header.modelType === 'sequential') return { kind: 'text', m: scoringModelFromFile(file, path) };
    return { kind: 'detector', det: detectorFromFile<Detector<TabularInput>>(file, path) };
  });
}

/** Growable score and label columns for the metrics. */
class Collected {
  scores = new Float32Array(1024);
  labels = new Int32Array(1024);
  n = 0;
  add(b: ScoredBatch): void {
    const need = this.n + b.scores.length;
    if (need > this.scores.length) {
      const cap = Math.max(need, 2 * this.scores.length);
      const s = new Float32Array(cap);
      s.set(this.scores.subarray(0, this.n));
      const l = new Int32Array(cap);
      l.set(this.labels.subarray(0, this.n));
      this.scores = s;
      this.labels = l;
    }
    this.scores.set(b.scores, this.n);
    this.labels.set(b.labels!, this.n);
    this.n = need;
  }
}

export async function scoreCommand(args: string[], io: Io): Promise<number> {
  // An ONNX model or a tensor input (.npy/.json) is scored as one tensor (score_tensor.ts).
  if (wantsTensorScore(args)) return scoreTensorCommand(args, io);
  const parsed = parseFlags({
    args,
    strict: true,
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      data: { type: 'string' },
      output: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      'text-column': { type: 'string' },
      columns: { type: 'string' },
      'id-column': { type: 'string' },
      'label-column': { type: 'string' },
      'on-error': { type: 'string' },
      'batch-size': { type: 'string' },
      json: { type: 'string' },
      header: { type: 'boolean' },
      'no-header': { type: 'boolean' },
      delimiter: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const o = parsed.values;
  if (o.help) {
    io.stdout.write(`${SCORE_USAGE}\n`);
    return 0;
  }
  if (o.input !== undefined && o.data !== undefined) throw new UsageError('give --input or --data (the same flag), not both');
  if (o.output !== undefined && o.out !== undefined) throw new UsageError('give --output or --out (the same flag), not both');
  const inputFlag = o.input !== undefined ? '--input' : '--data';
  const inputArg = fileFlag(inputFlag, o.input ?? o.data, false);
  if (inputArg === undefined) throw new UsageError('--input FILE is required (or "-" for stdin)');
  const header = headerFlag(o);
  const delim = delimiter(o.delimiter);
  if (o.format !== undefined && !INPUT_FORMATS.includes(o.format as InputFormat)) {
    throw new UsageError(`--format must be ${INPUT_FORMATS.join(', ')}, got ${JSON.stringify(o.format)}`);
  }
  if (o['on-error'] !== undefined && o['on-error'] !== 'stop' && o['on-error'] !== 'skip') {
    throw new UsageError(`--on-error must be stop or skip, got ${JSON.stringify(o['on-error'])}`);
  }
  const batchSize = positiveInt('--batch-size', o['batch-size'], 1, MAX_BATCH_SIZE);
  columnFlags(o, ['text-column', 'label-column', 'id-column']);
  const labelColumn = o['label-column'];
  if (o['text-column'] !== undefined && o['text-column'] === labelColumn) {
    throw new UsageError('--text-column and --label-column must be different columns');
  }
  const columns = columnList('--columns', o.columns);

  // The files last: every mistake in the flags is reported first, as a usage error.
  const outFlag = o.output !== undefined ? '--output' : '--out';
  const outPath = outputFile(outFlag, o.output ?? o.out, false);
  const json = outputFile('--json', o.json, false);
  const modelPath = inputFile('--model', o.model, true, 'binary')!;
  const inputPath = inputArg === '-' ? inputArg : inputFile(inputFlag, inputArg, true, 'text')!;
  distinctFiles([[outFlag, outPath], ['--json', json]], [['--model', modelPath], [inputFlag, inputPath === '-' ? undefined : inputPath]]);
  const loaded = await loadModel(modelPath);
  if (loaded.kind === 'text' && columns) throw new UsageError('--columns is for detectors; a text model reads one --text-column');
  if (loaded.kind === 'detector' && o['text-column'] !== undefined) throw new UsageError('--text-column is for text models; a detector reads --columns');
  const stdin = inputPath === '-';
  const input: StreamInput = stdin ? process.stdin : inputPath;
  const source = stdin ? 'stdin' : inputPath;
  const format = o.format as InputFormat | undefined;

  const progressStream = io.progressStream === undefined ? (process.stderr.isTTY ? process.stderr : null) : io.progressStream;
  const bar = !o.quiet && progressStream && !stdin ? scoringBar(statSync(inputPath).size, progressStream) : null;
  let skipped = 0;
  const onSkip = (e: DataFormatError) => {
    skipped++;
    if (skipped <= SHOW_SKIPPED) io.stderr.write(`vigil: skipped ${e.message}\n`);
    if (skipped === SHOW_SKIPPED + 1) io.stderr.write('vigil: (further skipped rows are counted, not shown)\n');
  };
  const common: StreamOptions = {
    format, header, delimiter: delim, idColumn: o['id-column'], labelColumn, batchSize, source,
    onError: (o['on-error'] ?? 'stop') as 'stop' | 'skip', onSkip,
    onProgress: bar ? (p: StreamProgress) => bar.update(p) : undefined,
  };
  let results: AsyncGenerator<ScoredBatch>;
  let threshold: number;
  if (loaded.kind === 'text') {
    const { m } = loaded;
    const csv = (format ?? (stdin ? null : inputFormatFor(inputPath)) ?? 'csv') === 'csv';
    let textColumn = o['text-column'];
    if (csv && textColumn === undefined) {
      if (!header) throw new UsageError('--text-column is required with --no-header');
      if (m.textColumn === null) throw new UsageError('--text-column is required: the model does not record its training text column');
      textColumn = m.textColumn;
    }
    results = m.model.scoreStream(input, { ...common, labelNames: m.labelNames, preprocessing: m.preprocessing, textColumn });
    threshold = 0.5;
  } else {
    results = loaded.det.scoreStream(input, { ...common, columns });
    threshold = loaded.det.threshold;
  }

  const collected = labelColumn !== undefined ? new Collected() : null;
  const file = outPath !== undefined ? await openOutputFile(outPath) : null;
  const t0 = performance.now();
  let rows: number;
  try {
    rows = await writeScores(results, file ? file.stream : io.stdout, outputFormatFor(outPath ?? null),
      { ids: o['id-column'] !== undefined, predictions: loaded.kind === 'detector' }, (b) => collected?.add(b));
    await file?.commit();
  } catch (err) {
    await file?.abort();
    throw err;
  } finally {
    bar?.stop();
  }
  const scoreSeconds = (performance.now() - t0) / 1000;

  const metrics = collected && collected.n > 0
    ? scoreMetrics(collected.labels.subarray(0, collected.n), collected.scores.subarray(0, collected.n), threshold)
    : null;
  const report = outPath !== undefined ? io.stdout : io.stderr;
  const rate = rows / Math.max(scoreSeconds, 1e-9);
  report.write(`scored ${rows} rows of ${source} in ${scoreSeconds.toFixed(2)} s (${Math.round(rate)} rows/s)` +
    `${skipped > 0 ? `; skipped ${skipped} malformed row(s)` : ''}${outPath !== undefined ? `; scores in ${outPath}` : ''}\n`);
  if (metrics) report.write(`${table(metricRows(metrics))}\n`);
  if (json !== undefined) {
    const out = {
      model: modelPath, rows, skipped, metrics: metrics && metricsJSON(metrics), scoreSeconds, samplesPerSecond: rate,
    };
    await writeJson(json, out);
  }
  return 0;
}
