// `vigil score --model FILE --input X --output Y [--engine native|onnxruntime]`: one tensor in, one
// output out: a detector's anomaly score (vigil's scoreSamples of X as features, on either engine, from
// an .onnx or a .vigil file: detector_tensor.ts), else the model's first output. X is .npy (any element
// type the model's input takes) or a .json nested array; Y is .npy (float32) or .json. onnxruntime runs
// any .onnx file; native imports it into vigil's kernels (or loads a .vigil model of any kind) and fails
// clearly when the graph can't be imported.
import { Sequential } from '../models/sequential.ts';
import { Detector, detectorFromFile } from '../models/detectors/detector.ts';
import '../models/detectors/registry.ts';
import { detectorScoreOutput, NotAVigilDetector, toVigilScores, type DetectorScoreOutput } from '../models/onnx/detectors/score_output.ts';
import { graphOutputShape, importOnnx, readOnnxSource } from '../models/onnx/import/index.ts';
import { decodeModel } from '../models/onnx/proto.ts';
import { OnnxModel } from '../models/onnx/runtime/model.ts';
import { isElementType, type ElementType, type NdArray } from '../models/preprocessing/npy.ts';
import { Embedding } from '../models/layers/embedding.ts';
import { sequentialFromFile } from '../models/serialize.ts';
import { MAX_BATCH_SIZE, parseFlags, positiveInt, UsageError } from './common.ts';
import { distinctFiles, fileFlag, inputFile, outputFile, readModelFlag } from './paths.ts';
import type { Io } from './common.ts';
import { scoreDetectorTensor } from './detector_tensor.ts';
import { castTensor, readTensorFile, tensorFormat, writeTensorFile } from './tensor_files.ts';

export const SCORE_TENSOR_USAGE = `usage: vigil score --model FILE.onnx|FILE.vigil --input X.npy|X.json --output Y.npy|Y.json [options]

  Runs a model on one input tensor and writes one of its outputs, the same with either engine:
  - a detector file (vigil's IsolationForest, OneClassSVM or RBM export, or scikit-learn's IsolationForest
    or OneClassSVM as skl2onnx writes them): vigil's anomaly score of each row, float32 [N], HIGHER = MORE
    ANOMALOUS (scoreSamples): vigil's files' output anomaly_score; for skl2onnx's, threshold - scores,
    where scores is scikit-learn's decision_function and threshold the one vigil's import gives the
    detector (-offset_ for a forest: minus scikit-learn's score_samples; 0 for an SVM). The input is the
    graph's X: the features after any vigil.preprocessing, which is not applied here.
  - a detector saved as a .vigil file (det.save(), vigil train --detector; native engine): the same
    score, of X read the same way: IsolationForest, OneClassSVM, RBM, Autoencoder and
    VariationalAutoencoder take X [N, features] after the detector's saved preprocessing, which is not
    applied here (so the file and its ONNX export give the same numbers); to score raw rows through
    that preprocessing, give them as a CSV or JSON-lines file instead (above). LstmForecaster,
    LstmAutoencoder and TcnForecaster read X as one series, [steps] or [steps, features]: one score
    per step, NaN (null in .json) before the first full window.
  - a Sequential .vigil file: the model's output; any other ONNX file: its first output (native
    imports only graphs with one output).

  --model FILE             an ONNX file, or a vigil model file (a Sequential model or a detector; native)
  --input X                .npy of any element type the model's input takes, or .json nested array
  --output Y               .npy (float32) or .json of that output
  --engine E               onnxruntime (default for .onnx: any ONNX model, through onnxruntime-node) or
                           native (the model imported into vigil's kernels; fails when it can't be)
  --providers P            onnxruntime's providers: auto (default), cpu, or cuda,cpu
  --threads N              onnxruntime's intra-op threads
  --batch-size N           rows per native batch (default 256)`;

/** Whether `vigil score` arguments ask for tensor scoring (an .onnx model, or an .npy/.json input). */
export function wantsTensorScore(args: readonly string[]): boolean {
  const value = (flag: string) => {
    const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return undefined;
    return args[i]!.startsWith(`${flag}=`) ? args[i]!.slice(flag.length + 1) : args[i + 1];
  };
  const model = value('--model'), input = value('--input');
  return Boolean(model?.endsWith('.onnx') || input?.endsWith('.npy') || input?.endsWith('.json'));
}

interface Scored {
  output: NdArray;
  engine: string;
  /** What `output` is, for the report line. */
  wrote: string;
}

/** A graph output as one score per row: [N] from [N, 1] (or [N]), the way the native engine writes a detector's scores. */
function scoreColumn(values: Float32Array, dims: readonly number[], what: string): NdArray {
  const n = dims[0] ?? 0;
  if (dims.length > 2 || dims.slice(1).some((d) => d !== 1) || values.length !== n) {
    throw new Error(`${what}: the score output has shape [${dims.join(', ')}], not one score per row`);
  }
  return { dtype: 'float32', shape: [n], data: values };
}

async function runOnnxruntime(model: string, x: NdArray, providers: string | undefined, threads: number | undefined, io: Io): Promise<Scored> {
  const { bytes, what } = await readOnnxSource(model, 'vigil score');
  // A detector file writes vigil's score whichever engine runs it (detectors/score_output.ts); any other
  // file its first output.
  let pick: DetectorScoreOutput | null = null;
  try {
    pick = await detectorScoreOutput(bytes, decodeModel(bytes, what), what);
  } catch (err) {
    if (!(err instanceof NotAVigilDetector)) throw err;
    io.stderr.write(`vigil: note: ${what} looks like a detector, but vigil does not read it as one ` +
      `(${err.message}); writing its first output\n`);
  }
  const provider = providers === undefined || providers === 'auto' ? 'auto' : providers.split(',').map((p) => p.trim());
  const session = await OnnxModel.load(model, { providers: provider as 'auto', threads });
  try {
    if (session.inputs.length !== 1) throw new Error(`'${model}' has ${session.inputs.length} inputs; vigil score feeds one`);
    const input = session.inputs[0]!;
    if (!isElementType(input.type)) throw new Error(`'${model}' takes ${input.type} input, which vigil score can't write`);
    const cast = castTensor(x, input.type, `--input for input '${input.name}'`);
    const out = await session.run({ [input.name]: { type: cast.dtype, dims: cast.shape, data: cast.data } });
    const engine = `onnxruntime (${session.provider})`;
    if (pick) {
      const t = out[pick.output]!;
      const values = castTensor({ dtype: t.type as ElementType, shape: t.dims, data: t.data }, 'float32', `output '${pick.output}'`).data as Float32Array;
      return { output: scoreColumn(toVigilScores(pick, values), t.dims, what), engine, wrote: `vigil's anomaly score (${pick.reads})` };
    }
    const name = session.outputs[0]!.name;
    const first = out[name]!;
    return { output: { dtype: first.type, shape: first.dims, data: first.data }, engine, wrote: `first output '${name}'` };
  } finally {
    await session.close();
  }
}

/** Model files vigil score cannot read: a clear error instead of "not a detector type". */
export function refuseUnscorable(modelType: string, path: string): void {
  if (modelType === 'functional') {
    throw new Error(`'${path}' is a functional Model (several inputs): vigil score reads Sequential models and detectors; ` +
      'load it with Model.load and call predict with one array per input');
  }
}

async function runNative(modelPath: string, x: NdArray, batchSize: number, io: Io): Promise<Scored> {
  const what = `'${modelPath}'`;
  if (modelPath.endsWith('.onnx')) {
    const imported = await importOnnx(modelPath);
    if (imported.model instanceof Detector) return detectorScored(imported.model as Detector<never>, x, what, io);
    const model = imported.model as Sequential;
    const y = await predict(model, x, batchSize);
    return { output: { ...y, shape: graphOutputShape(imported.graph!.outputAxes, y.shape) }, engine: 'native (vigil)', wrote: 'the model\'s output' };
  }
  // A vigil model file of any kind, by the type in its header: a Sequential model, else a detector
  // (detectorFromFile knows every registered type and names the known ones when the type is not one).
  const loaded = await readModelFlag('--model', modelPath, (file): { model: Sequential } | { detector: Detector<never> } => {
    refuseUnscorable(file.header.modelType, modelPath);
    return file.header.modelType === 'sequential'
      ? { model: sequentialFromFile(Sequential, file, modelPath).model }
      : { detector: detectorFromFile<Detector<never>>(file, modelPath) };
  });
  if ('detector' in loaded) return detectorScored(loaded.detector, x, what, io);
  const { model } = loaded;
  return { output: await predict(model, x, batchSize), engine: 'native (vigil)', wrote: 'the model\'s output' };
}

async function detectorScored(det: Detector<never>, x: NdArray, what: string, io: Io): Promise<Scored> {
  return { output: await scoreDetectorTensor(det, x, what, io), engine: 'native (vigil detector)', wrote: 'vigil\'s anomaly score' };
}

async function predict(model: Sequential, x: NdArray, batchSize: number): Promise<NdArray> {
  const ids = model.layers[0] instanceof Embedding;
  const cast = castTensor(x, ids ? 'int32' : 'float32', `--input (${ids ? 'token ids' : 'values'})`);
  const y = await model.predict({ data: cast.data as Float32Array, shape: cast.shape }, { batchSize });
  return { dtype: 'float32', shape: y.shape, data: y.data };
}

export async function scoreTensorCommand(args: string[], io: Io): Promise<number> {
  const { values: o } = parseFlags({
    args,
    strict: true,
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
      engine: { type: 'string' },
      providers: { type: 'string' },
      threads: { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (o.help) {
    io.stdout.write(`${SCORE_TENSOR_USAGE}\n`);
    return 0;
  }
  const modelPath = fileFlag('--model', o.model, true)!;
  const inputPath = fileFlag('--input', o.input, true)!;
  const outputPath = fileFlag('--output', o.output, true)!;
  tensorFormat('--input', inputPath);
  tensorFormat('--output', outputPath);
  const engine = o.engine ?? (modelPath.endsWith('.onnx') ? 'onnxruntime' : 'native');
  if (engine !== 'native' && engine !== 'onnxruntime') throw new UsageError(`--engine must be native or onnxruntime, got ${JSON.stringify(engine)}`);
  if (engine === 'onnxruntime' && !modelPath.endsWith('.onnx')) throw new UsageError('--engine onnxruntime needs an .onnx model');
  if (engine === 'native' && (o.providers !== undefined || o.threads !== undefined)) throw new UsageError('--providers and --threads are onnxruntime options');
  const threads = positiveInt('--threads', o.threads, 1, 1024);
  const batchSize = positiveInt('--batch-size', o['batch-size'], 1, MAX_BATCH_SIZE) ?? 256;
  // The files last: every mistake in the flags is reported first, as a usage error.
  outputFile('--output', outputPath, true);
  inputFile('--model', modelPath, true, 'binary');
  inputFile('--input', inputPath, true, 'binary');
  distinctFiles([['--output', outputPath]], [['--model', modelPath], ['--input', inputPath]]);

  const x = readTensorFile('--input', inputPath);
  const t0 = performance.now();
  const { output, engine: ran, wrote } = engine === 'onnxruntime'
    ? await runOnnxruntime(modelPath, x, o.providers, threads, io)
    : await runNative(modelPath, x, batchSize, io);
  const seconds = (performance.now() - t0) / 1000;
  const y = outputPath.endsWith('.npy') ? castTensor(output, 'float32', 'the output') : output;
  await writeTensorFile(outputPath, y);
  io.stderr.write(`scored [${x.shape.join(', ')}] with ${ran} in ${seconds.toFixed(3)} s; ${wrote} [${y.shape.join(', ')}] in ${outputPath}\n`);
  return 0;
}
