// One measurement of suite `stream`, in its own process so that its peak RSS is its own:
//   tsx bench/suites/stream_child.ts '{"mode":"stream"|"memory"|"cli","model":FILE,"input":FILE,...}'
// prints one JSON line { rows, seconds, startMB, peakMB, checksum }. The clock runs from the first
// byte read to the last score; loading the model is outside it.
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { main } from '../../ts/cli.ts';
import { readDataText } from '../../ts/models/datasets.ts';
import { loadDetector } from '../../ts/models/detectors/detector.ts';
import type { Detector } from '../../ts/models/detectors/detector.ts';
import type { TabularInput } from '../../ts/models/detectors/matrix.ts';
import '../../ts/models/detectors/iforest.ts';
import { csvRecords } from '../../ts/models/preprocessing/csv.ts';
import { parseNumberCell } from '../../ts/models/preprocessing/encoders.ts';
import { Sequential } from '../../ts/models/sequential.ts';
import type { ScoredBatch } from '../../ts/models/stream/pipeline.ts';

export interface ChildConfig {
  mode: 'stream' | 'memory' | 'cli';
  kind: 'text' | 'detector';
  model: string;
  input: string;
  /** CLI output file. */
  output?: string;
  threads: number;
  /** Rows per model call, the same for the streamed and the in-memory path. */
  batchSize: number;
}

export interface ChildResult {
  rows: number;
  seconds: number;
  /** Peak RSS after loading the model, before reading: the runtime and the model. */
  startMB: number;
  /** Peak RSS of the whole process. */
  peakMB: number;
  /** Sum of the scores in input order (float64): the streamed and in-memory paths must agree. */
  checksum: number;
}

const peakMB = () => process.resourceUsage().maxRSS / 1024;

const sum = (s: Float32Array, acc = 0) => {
  for (let i = 0; i < s.length; i++) acc += s[i];
  return acc;
};

async function run(c: ChildConfig): Promise<ChildResult> {
  setNumThreads(c.threads);
  const text = c.kind === 'text' ? await Sequential.load(c.model) : null;
  const det = c.kind === 'detector' ? await loadDetector<Detector<TabularInput>>(c.model) : null;
  const startMB = peakMB();
  const t0 = performance.now();
  let rows = 0;
  let checksum = 0;
  if (c.mode === 'stream') {
    const it: AsyncIterable<ScoredBatch> = text
      ? text.model.scoreStream(c.input, { preprocessing: text.preprocessing!, batchSize: c.batchSize })
      : det!.scoreStream(c.input, { batchSize: c.batchSize });
    for await (const b of it) {
      rows += b.scores.length;
      checksum = sum(b.scores, checksum);
    }
  } else if (c.mode === 'memory') {
    // The batch API as a user would call it on a file that fits: read it whole, parse every row,
    // then score them all (predict cuts the same batches the stream does).
    const all = readDataText(c.input, 'bench');
    let scores: Float32Array;
    if (text) {
      const texts: string[] = [];
      for (const line of all.split('\n')) {
        if (line.trim() === '') continue;
        JSON.parse(line); // the streamed path checks every JSON line too
        texts.push(line);
      }
      scores = (await text.model.predict(text.preprocessing!.encode(texts), { batchSize: c.batchSize })).data;
    } else {
      const records = csvRecords(all);
      records.next(); // the header
      const cells: string[][] = [];
      for (const r of records) cells.push(r.fields);
      const cols = cells[0].length;
      const x = new Float32Array(cells.length * cols);
      for (let i = 0; i < cells.length; i++) for (let j = 0; j < cols; j++) x[i * cols + j] = parseNumberCell(cells[i][j]);
      scores = await det!.scoreSamples({ data: x, shape: [cells.length, cols] });
    }
    rows = scores.length;
    checksum = sum(scores);
  } else {
    const out: string[] = [];
    const code = await main(['score', '--model', c.model, '--input', c.input, '--output', c.output!, '--batch-size', String(c.batchSize), '-q'],
      { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) }, progressStream: null });
    if (code !== 0) throw new Error(`vigil score exited ${code}: ${out.join('')}`);
    rows = Number(/scored (\d+) rows/.exec(out.join(''))?.[1] ?? NaN);
    checksum = NaN;
  }
  return { rows, seconds: (performance.now() - t0) / 1000, startMB, peakMB: peakMB(), checksum };
}

const config = JSON.parse(process.argv[2]) as ChildConfig;
console.log(JSON.stringify(await run(config)));
process.exit(0);
