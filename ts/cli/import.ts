// `vigil import M.onnx --out M.vigil`: an ONNX file imported into vigil's layers (or a detector) and
// saved as a vigil model file, with the tokenizer and padding its metadata carries.
import { Detector } from '../models/detectors/detector.ts';
import { importOnnx } from '../models/onnx/import/index.ts';
import type { Sequential } from '../models/sequential.ts';
import { parseFlags, UsageError } from './common.ts';
import { distinctFiles, inputFile, outputFile } from './paths.ts';
import type { Io } from './common.ts';

export const IMPORT_USAGE = `usage: vigil import MODEL.onnx --out MODEL.vigil

  Imports an ONNX file (PyTorch's torch.onnx.export of LSTM, Conv1d and Linear models, vigil's own
  exports, scikit-learn detectors) into vigil's native layers and saves it as a vigil model file.
  A graph vigil can't map names the first node it can't; run such files with vigil score --engine onnxruntime.

  --out FILE               the vigil model file to write`;

export async function importCommand(args: string[], io: Io): Promise<number> {
  const { values: o, positionals } = parseFlags({
    args,
    strict: true,
    allowPositionals: true,
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (o.help) {
    io.stdout.write(`${IMPORT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`vigil import takes one ONNX file, got ${positionals.length}`);
  const out = outputFile('--out', o.out, true)!;
  const source = inputFile('ONNX file', positionals[0], true, 'onnx')!;
  distinctFiles([['--out', out]], [['the ONNX file', source]]);
  const imported = await importOnnx(source);
  if (imported.model instanceof Detector) {
    await imported.model.save(out);
    io.stdout.write(`imported ${source} as a ${imported.model.modelType} into ${out}\n`);
  } else {
    const model = imported.model as Sequential;
    await model.save(out, { preprocessing: imported.preprocessing });
    io.stdout.write(`imported ${source} into ${out}${imported.preprocessing?.tokenizer ? ' (with its tokenizer)' : ''}\n${model.summary()}\n`);
  }
  return 0;
}
