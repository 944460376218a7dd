// importOnnx: an ONNX file into vigil's native engine. Importers are tried in order; the first that
// accepts the model imports it: those added with registerOnnxImporter, then the detectors (vigil's own
// detector files and scikit-learn's IsolationForest / OneClassSVM in skl2onnx's ai.onnx.ml layout), then
// vigil's own Sequential files, and last the Sequential importer (neural graphs: LSTM, RNN, Gemm,
// MatMul, Conv, ...), which accepts every model.
import { readFile } from 'node:fs/promises';
import type { Detector } from '../../detectors/detector.ts';
import { Preprocessing } from '../../serialize.ts';
import type { Sequential } from '../../sequential.ts';
import { decodeModel, type ModelProto } from '../proto.ts';
import type { ImportedGraph } from './assemble.ts';
import { importSequential } from './sequential.ts';
import { isVigilSequential, restoreSequential } from '../export/restore.ts';
import { importDetectorOnnx, isDetectorGraph } from '../detectors/index.ts';
import { checkVigilFile, metadataOf } from '../metadata.ts';
import { GraphReader } from '../read.ts';

export interface ImportedModel {
  kind: 'sequential' | 'detector';
  model: Sequential | Detector<unknown>;
  /** Tokenizer and padding (a Sequential) or TabularPipeline (`table`, a detector) from the file's `vigil.*` metadata; null when it has none. */
  preprocessing: Preprocessing | null;
  /** Sequential imports: how the graph's input and output map onto the model's. */
  graph?: ImportedGraph;
}

export interface OnnxImporter {
  /** A short name for errors and listings, e.g. 'isolation-forest'. */
  name: string;
  /** Whether this importer handles the model (by its operators, domains or `vigil.kind` metadata). */
  accepts(model: ModelProto): boolean;
  /** Imports an accepted model; `what` names the source in errors. Throws an Error naming the problem. */
  import(model: ModelProto, what: string): ImportedModel | Promise<ImportedModel>;
}

const sequentialImporter: OnnxImporter = { name: 'sequential', accepts: () => true, import: importSequential };
// Files vigil exported come back from their metadata and initializers (export/restore.ts), whatever
// nodes their padding and masking needs.
const vigilImporter: OnnxImporter = {
  name: 'vigil-sequential',
  accepts: isVigilSequential,
  import: (model, what) => ({ kind: 'sequential', ...restoreSequential(model, what) }),
};
const detectorImporter: OnnxImporter = {
  name: 'detector',
  accepts: isDetectorGraph,
  import: (model, what) => {
    const det = importDetectorOnnx(new GraphReader(model, what));
    if (!det) throw new Error(`${what}: not a detector graph vigil imports`);
    return { kind: 'detector', model: det, preprocessing: det.preprocessing ? new Preprocessing({ table: det.preprocessing }) : null };
  },
};
const importers: OnnxImporter[] = [];

/** Adds an importer, tried before the ones registered earlier's fallback (the Sequential importer stays last). */
export function registerOnnxImporter(importer: OnnxImporter): void {
  if (typeof importer !== 'object' || importer === null || typeof importer.accepts !== 'function' || typeof importer.import !== 'function') {
    throw new TypeError('registerOnnxImporter: importer must be { name, accepts(model), import(model, what) }');
  }
  if (importers.some((i) => i.name === importer.name)) throw new Error(`registerOnnxImporter: '${importer.name}' is already registered`);
  importers.push(importer);
}

/** The bytes of an ONNX source (a path or the bytes themselves) and a name for it in errors. */
export async function readOnnxSource(source: string | Uint8Array, fn = 'importOnnx'): Promise<{ bytes: Uint8Array; what: string }> {
  if (source instanceof Uint8Array) return { bytes: source, what: 'ONNX model' };
  if (typeof source !== 'string' || source.length === 0) throw new TypeError(`${fn}: source must be a path or a Uint8Array of ONNX bytes`);
  try {
    return { bytes: await readFile(source), what: `ONNX file '${source}'` };
  } catch (err) {
    throw new Error(`${fn}: can't read '${source}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Decodes and imports a decoded model with the first importer that accepts it. */
export async function importModel(model: ModelProto, what: string): Promise<ImportedModel> {
  const custom = importers.find((i) => i.accepts(model));
  if (custom) return custom.import(model, what);
  // A newer vigil's file (or one of a kind this vigil doesn't know) is refused before an importer
  // misreads it: the Sequential importer would otherwise try any graph.
  checkVigilFile(metadataOf(model), what);
  const importer = [detectorImporter, vigilImporter, sequentialImporter].find((i) => i.accepts(model))!;
  return importer.import(model, what);
}

/**
 * Imports an ONNX file (path or bytes) into vigil's native engine: a Sequential of vigil layers (or a
 * detector, through a registered importer) with the file's preprocessing. Rejects with an Error naming
 * the problem: not ONNX, truncated, an unsupported opset, or (OnnxImportError) the first node that
 * maps onto no vigil layer; such files still run through OnnxModel (onnxruntime).
 */
export async function importOnnx(source: string | Uint8Array): Promise<ImportedModel> {
  const { bytes, what } = await readOnnxSource(source);
  return importModel(decodeModel(bytes, what), what);
}

export { OnnxImportError } from './context.ts';
export { graphOutputShape } from './assemble.ts';
export type { ImportedGraph } from './assemble.ts';
export type { GraphInput } from './walk.ts';
