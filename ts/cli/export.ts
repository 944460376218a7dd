// `vigil export`: a vigil model file (a Sequential, with its tokenizer and padding, or a fitted
// IsolationForest, OneClassSVM or RBM) as one ONNX file.
import { detectorFromFile } from '../models/detectors/detector.ts';
import '../models/detectors/registry.ts';
import { exportOnnx } from '../models/onnx/export/index.ts';
import type { LengthsMode } from '../models/onnx/export/index.ts';
import { Sequential } from '../models/sequential.ts';
import { sequentialFromFile } from '../models/serialize.ts';
import { parseFlags, UsageError } from './common.ts';
import { distinctFiles, inputFile, outputFile, readModelFlag } from './paths.ts';
import type { Io } from './common.ts';

export const EXPORT_USAGE = `usage: vigil export --model FILE.vigil --out FILE.onnx [--lengths from-ids|input|none]

  Writes the model as standard ONNX (opset 17, dynamic batch and time axes) that onnxruntime and
  other ONNX tools run; its tokenizer, padding and compile settings travel in metadata_props (vigil.*).

  --model FILE             a model file saved by vigil (vigil train, Sequential.save, a detector's save)
  --out FILE               the ONNX file to write (atomically)
  --lengths MODE           how a sequence graph learns each row's valid steps: from-ids (the steps from
                           the first non-zero id on; the default for 'pre'-padded text models), input
                           (a second input \`lengths\` int32 [batch]) or none (every step is valid)`;

const MODES: readonly string[] = ['from-ids', 'input', 'none'];

export async function exportCommand(args: string[], io: Io): Promise<number> {
  const { values: o } = parseFlags({
    args,
    strict: true,
    options: {
      model: { type: 'string' },
      out: { type: 'string' },
      lengths: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (o.help) {
    io.stdout.write(`${EXPORT_USAGE}\n`);
    return 0;
  }
  if (o.lengths !== undefined && !MODES.includes(o.lengths)) throw new UsageError(`--lengths must be one of ${MODES.join(', ')}, got ${JSON.stringify(o.lengths)}`);
  const out = outputFile('--out', o.out, true)!;
  const modelPath = inputFile('--model', o.model, true, 'binary')!;
  distinctFiles([['--out', out]], [['--model', modelPath]]);
  // A Sequential model, else (by the type in the file) a detector.
  const loaded = await readModelFlag('--model', modelPath, (file) => (file.header.modelType === 'sequential'
    ? sequentialFromFile(Sequential, file, modelPath)
    : { detector: detectorFromFile(file, modelPath) }));
  let bytes: Uint8Array;
  if ('detector' in loaded) {
    if (o.lengths !== undefined) throw new UsageError('--lengths applies to Sequential models only');
    bytes = await exportOnnx(loaded.detector, out);
  } else {
    bytes = await exportOnnx(loaded.model, out, { preprocessing: loaded.preprocessing, ...(o.lengths ? { lengths: o.lengths as LengthsMode } : {}) });
  }
  io.stderr.write(`wrote ${out} (${bytes.byteLength.toLocaleString('en-US')} bytes)\n`);
  return 0;
}
