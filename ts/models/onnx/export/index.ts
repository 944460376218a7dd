// exportOnnx: a vigil Sequential as one standard ONNX file (opset 17, ONNX's own LSTM/RNN/Conv
// operators, a dynamic batch axis and, for sequence models, a dynamic time axis), with what vigil needs
// to rebuild it complete in metadata_props: the architecture, compile settings, tokenizer, padding and
// any other preprocessing saved with the model (metadata.ts's `vigil.*` keys).
import { Detector } from '../../detectors/detector.ts';
import type { TabularInput } from '../../detectors/matrix.ts';
import { detectorToOnnxAsync } from '../detectors/index.ts';
import { Embedding } from '../../layers/embedding.ts';
import { Dense } from '../../layers/dense.ts';
import { preprocessingToJSON, saveModelFile } from '../../serialize.ts';
import { vigilVersion } from '../../../version.ts';
import { knownOptions, optionNames } from '../../options.ts';
import type { PreprocessingJSON, SaveOptions } from '../../serialize.ts';
import type { Sequential } from '../../sequential.ts';
import { DataType, GraphBuilder, valueInfo } from '../build.ts';
import { META } from '../metadata.ts';
import { ExportGraph } from './graph.ts';
import { emitSequential, inputDims, lengthsFromIds } from './sequential.ts';

/**
 * How the graph learns each row's valid steps:
 * - 'from-ids': from the int64 ids, as the steps from the first non-zero id on ('pre' padding with
 *   id 0, what Preprocessing.encode and an Embedding's maskZero give);
 * - 'input': from a second graph input `lengths` int32 [batch], as predict's `{ tokens, lengths }`;
 * - 'none': every step is valid (predict without lengths).
 */
export type LengthsMode = 'from-ids' | 'input' | 'none';

export interface OnnxExportOptions {
  /** The tokenizer, padSequences settings and free-form state to carry (as Sequential.save takes them). */
  preprocessing?: SaveOptions['preprocessing'];
  /**
   * Default for a model that starts with an Embedding: 'from-ids', unless the preprocessing pads
   * 'post' without maskZero (then vigil runs every step, and so does the graph: 'none'); otherwise 'none'.
   */
  lengths?: LengthsMode;
}

const OPTIONS = optionNames<OnnxExportOptions>()(['preprocessing', 'lengths']);

const LENGTHS_MODES: readonly LengthsMode[] = ['from-ids', 'input', 'none'];

function lengthsMode(model: Sequential, pre: PreprocessingJSON | null, asked: unknown): LengthsMode {
  const first = model.layers[0];
  const tokens = first instanceof Embedding;
  if (asked !== undefined) {
    if (typeof asked !== 'string' || !LENGTHS_MODES.includes(asked as LengthsMode)) {
      throw new RangeError(`exportOnnx: lengths must be one of ${LENGTHS_MODES.join(', ')}, got ${JSON.stringify(asked)}`);
    }
    if (asked === 'from-ids' && !tokens) throw new RangeError("exportOnnx: lengths 'from-ids' needs a model that starts with an Embedding");
    if (asked === 'input' && !tokens && model.getConfig().inputShape.length < 2) {
      throw new RangeError("exportOnnx: lengths 'input' needs a sequence model (input [batch, time, ...] or token ids)");
    }
    return asked as LengthsMode;
  }
  if (!tokens) return 'none';
  return (first as Embedding).maskZero || (pre?.pad?.padding ?? 'pre') === 'pre' ? 'from-ids' : 'none';
}

/** What the output holds, for `vigil.score` and the doc_string. */
function describeOutput(model: Sequential): string {
  const last = model.layers[model.layers.length - 1];
  if (last instanceof Dense && last.activation === 'sigmoid' && last.units === 1) return 'the probability of class 1 (sigmoid)';
  if (last instanceof Dense && last.activation === 'sigmoid') return 'independent probabilities per output (sigmoid)';
  if (last instanceof Dense && last.activation === 'softmax') return 'class probabilities (softmax over the last axis)';
  return `the model's output (${last?.className ?? 'none'})`;
}

/** The ONNX bytes of a built Sequential; weights read as they are now (exportOnnx reads them between fit steps). */
function sequentialToOnnx(model: Sequential, opts: OnnxExportOptions): Uint8Array {
  const pre = preprocessingToJSON(opts.preprocessing);
  const mode = lengthsMode(model, pre, opts.lengths);
  const tokens = model.layers[0] instanceof Embedding;
  const builder = new GraphBuilder();
  const inputName = tokens ? 'tokens' : 'input';
  builder.reserve(inputName, 'lengths', 'output');
  const g = new ExportGraph(builder);
  const lengths = mode === 'from-ids' ? lengthsFromIds(g, inputName)
    : mode === 'input' ? g.op('Cast', ['lengths'], { to: { i: DataType.INT64 } })
    : null;
  const out = emitSequential(g, model, inputName, { lengths });
  builder.add('Identity', [out.name], {}, ['output']);

  const dims = inputDims(model);
  const inputs = [valueInfo(inputName, tokens ? DataType.INT64 : DataType.FLOAT, dims)];
  if (mode === 'input') inputs.push(valueInfo('lengths', DataType.INT32, ['batch']));
  const score = describeOutput(model);
  const lengthsDoc = {
    'from-ids': "each row's valid steps are those from its first non-zero id on ('pre' padding, id 0 = padding)",
    input: "`lengths` int32 [batch] gives each row's valid steps, the last ones of the row ('pre' padding)",
    none: 'every step of every row is valid',
  }[mode];
  const docString = [
    `vigil Sequential '${model.name}': ${model.layers.map((l) => l.className).join(' -> ')}.`,
    `Input \`${inputName}\` ${tokens ? 'int64 token ids' : 'float32'} [${dims.join(', ')}]${tokens && pre?.tokenizer ? ' (the vigil.tokenizer character ids, padded as vigil.padding says)' : ''}; ${lengthsDoc}.`,
    `Output \`output\` float32 [${out.dims.join(', ')}]: ${score}.`,
  ].join(' ');

  const metadata: Record<string, string> = {
    [META.kind]: 'sequential',
    [META.config]: JSON.stringify(model.getConfig()),
    [META.lengths]: mode,
    [META.score]: score,
    [META.version]: vigilVersion(),
  };
  const compile = model.getCompileConfig();
  if (compile) metadata[META.compile] = JSON.stringify(compile);
  if (pre?.tokenizer) metadata[META.tokenizer] = JSON.stringify(pre.tokenizer);
  if (pre?.pad) metadata[META.padding] = JSON.stringify(pre.pad);
  if (pre?.extra) metadata[META.preprocessing] = JSON.stringify(pre.extra);
  return builder.toBytes({
    inputs, outputs: [valueInfo('output', DataType.FLOAT, out.dims)], metadata, docString, graphName: model.name,
  });
}

/**
 * Exports a built Sequential (or a fitted IsolationForest, OneClassSVM or RBM: onnx/detectors/) to ONNX
 * and resolves to the file's bytes; with `path`, also writes them there atomically (temporary file +
 * rename, as save() does). A Sequential's weights are read between fit steps, so a running fit() gives
 * one consistent snapshot. A layer or detector without an ONNX form rejects with an Error naming it.
 */
export async function exportOnnx(model: Sequential | Detector<never>, path?: string | null, opts: OnnxExportOptions = {}): Promise<Uint8Array> {
  if (path !== undefined && path !== null && (typeof path !== 'string' || path.length === 0)) {
    throw new TypeError('exportOnnx: path must be a non-empty string (or omitted)');
  }
  if (typeof opts !== 'object' || opts === null) throw new TypeError('exportOnnx: options must be an object');
  knownOptions('exportOnnx', opts, OPTIONS);
  if (model instanceof Detector) {
    // Both options describe a Sequential's input; a detector's graph takes its rows as they are.
    const given = OPTIONS.find((k) => opts[k] !== undefined);
    if (given !== undefined) throw new TypeError(`exportOnnx: option '${given}' applies to Sequential models; a detector's graph takes its feature rows as they are`);
    // The detectors' own layouts (onnx/detectors/): scikit-learn's for the forest and the SVM.
    const bytes = await detectorToOnnxAsync(model as Detector<TabularInput>);
    if (path) await saveModelFile(path, bytes);
    return bytes;
  }
  if (typeof model !== 'object' || model === null || typeof (model as Sequential).getConfig !== 'function') {
    throw new TypeError('exportOnnx: model must be a vigil Sequential or detector');
  }
  if (typeof (model as Sequential).build !== 'function') {
    // A functional Model (several inputs, shared layers) has no ONNX emitter yet.
    throw new TypeError(`exportOnnx: a functional Model ('${(model as { name?: string }).name}') cannot be exported to ONNX yet; only Sequential models and detectors can`);
  }
  if (!model.built) {
    try {
      model.build();
    } catch {
      throw new TypeError('exportOnnx: the model is not built yet: call build(inputShape) or fit() first');
    }
  }
  const bytes = await model.whenIdle(() => sequentialToOnnx(model, opts));
  if (path) await saveModelFile(path, bytes);
  return bytes;
}

export { emitSequential, lengthsFromIds } from './sequential.ts';
export type { EmitOptions, SequentialOutput } from './sequential.ts';
export { ExportGraph } from './graph.ts';
export type { Dim, Flow, PaddingSide } from './graph.ts';
export { registerLayerExporter } from './registry.ts';
export type { LayerExporter } from './registry.ts';
