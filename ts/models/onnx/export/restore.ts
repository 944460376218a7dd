// vigil's own ONNX files back into vigil, complete: the Sequential rebuilt from `vigil.config` (the
// architecture exportOnnx wrote), each layer's weights read back from the initializers its exporter
// wrote (the exporter's `restore`, the inverse of its layout conversions), compiled as `vigil.compile`
// says, with the tokenizer, padding and extra state of the metadata. The graph's nodes are not parsed:
// they are exportOnnx's own, and the metadata says what they compute.
import { layerFromConfig } from '../../layers/registry.ts';
import { compileAsSaved, Preprocessing } from '../../serialize.ts';
import type { CompileJSON, PadConfig, PreprocessingJSON, SequentialJSON } from '../../serialize.ts';
import type { CharTokenizerJSON } from '../../preprocessing/tokenizer.ts';
import { Sequential } from '../../sequential.ts';
import { checkVigilFile, META } from '../metadata.ts';
import type { ModelProto } from '../proto.ts';
import { GraphReader } from '../read.ts';
import { exporterFor, restoreByName } from './registry.ts';
import './sequential.ts'; // registers every layer family's exporter

/** Whether the file is a Sequential that vigil exported (its metadata holds the architecture). */
export function isVigilSequential(model: ModelProto): boolean {
  const meta = model.metadata_props ?? [];
  return meta.some((e) => e.key === META.kind && e.value === 'sequential') && meta.some((e) => e.key === META.config);
}

function json<T>(meta: Record<string, string>, key: string, what: string): T | null {
  const text = meta[key];
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${what}: metadata ${key} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/**
 * The Sequential (built, weights set, compiled as exported) and its preprocessing from a file
 * exportOnnx wrote; an Error naming the file and the problem when the metadata or an initializer does
 * not fit the architecture it describes.
 */
export function restoreSequential(model: ModelProto, what = 'ONNX model'): { model: Sequential; preprocessing: Preprocessing | null } {
  const reader = new GraphReader(model, what);
  const meta = reader.metadata();
  checkVigilFile(meta, what);
  const config = json<SequentialJSON>(meta, META.config, what);
  if (!config || typeof config !== 'object' || !Array.isArray(config.layers) || !Array.isArray(config.inputShape)) {
    throw new Error(`${what}: metadata ${META.config} must be a Sequential's architecture { name, seed, inputShape, layers }`);
  }
  let seq: Sequential;
  try {
    const layers = config.layers.map((l, i) => {
      if (typeof l !== 'object' || l === null) throw new TypeError(`layers[${i}] must be { className, config }`);
      return layerFromConfig(l.className, l.config);
    });
    seq = new Sequential(layers, { seed: config.seed, name: config.name });
    seq.build(config.inputShape);
  } catch (err) {
    throw new Error(`${what}: cannot rebuild the model of ${META.config}: ${(err as Error).message}`, { cause: err });
  }
  const get = (name: string): Float32Array => {
    if (!reader.initializers.has(name)) throw new Error(`no initializer '${name}'`);
    return reader.floats(name);
  };
  for (const layer of seq.layers) {
    try {
      const e = exporterFor(layer);
      if (e.restore) e.restore(layer, get);
      else restoreByName(layer, get);
      layer.weightsChanged();
    } catch (err) {
      throw new Error(`${what}: the weights of layer '${layer.name}' (${layer.className}): ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    compileAsSaved(seq, json<CompileJSON>(meta, META.compile, what));
  } catch (err) {
    throw new Error(`${what}: cannot compile the model as ${META.compile} says: ${(err as Error).message}`, { cause: err });
  }
  const tokenizer = json<CharTokenizerJSON>(meta, META.tokenizer, what);
  const pad = json<PadConfig>(meta, META.padding, what);
  const extra = json<PreprocessingJSON['extra']>(meta, META.preprocessing, what);
  let preprocessing: Preprocessing | null = null;
  if (tokenizer || pad || extra) {
    try {
      preprocessing = new Preprocessing({ tokenizer, pad, extra });
    } catch (err) {
      throw new Error(`${what}: bad preprocessing metadata: ${(err as Error).message}`, { cause: err });
    }
  }
  return { model: seq, preprocessing };
}
