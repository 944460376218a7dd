// The table of layer exporters by layer class name (the names of layers/registry.ts), filled by the
// family files of this folder; registerLayerExporter adds one for a layer class of the user's own.
import type { Layer } from '../../layers/layer.ts';
import type { ExportGraph, Flow, PaddingSide } from './graph.ts';

export interface LayerExporter<L extends Layer = Layer> {
  /**
   * Where the input's padded steps must sit: 'post' for ONNX's LSTM/RNN, 'pre' for layers whose
   * result depends on the position of the valid steps (strided pooling, Flatten), 'any' for the rest.
   */
  padding(layer: L): PaddingSide | 'any';
  /**
   * The layer maps each step on its own (Embedding, Dense, Dropout): moving the padding commutes with
   * it, so a rotation the next layer needs is done before it, on the cheaper input (the int64 ids).
   */
  perStep?: boolean;
  /** The physical layout the layer wants its 3-D input in ('any': either; the exporter handles both). */
  channels: 'first' | 'last' | 'any';
  /** Adds the layer's nodes; returns its output flow. */
  emit(x: Flow, layer: L, g: ExportGraph): Flow;
  /**
   * The inverse for vigil's own files: sets the (built) layer's weights from the initializers `emit`
   * wrote, read by name through `get`. Default: every weight is the initializer `<layer name>/<weight
   * name>` in vigil's layout (Embedding, Conv1D, TCN); layers without weights have nothing to read.
   */
  restore?(layer: L, get: (name: string) => Float32Array): void;
}

/** The default restore: each weight from the initializer of its own name, as vigil stores it. */
export function restoreByName(layer: Layer, get: (name: string) => Float32Array, prefix = layer.name): void {
  for (const w of layer.weights) w.value.set(sized(get(`${prefix}/${w.name}`), w.value.length, `${prefix}/${w.name}`));
}

/** `v` when it holds `n` values; an Error naming the initializer otherwise. */
export function sized(v: Float32Array, n: number, name: string): Float32Array {
  if (v.length !== n) throw new Error(`initializer '${name}' holds ${v.length} values, the layer needs ${n}`);
  return v;
}

const exporters = new Map<string, LayerExporter>();

/** Registers the exporter of a layer class (by its className). */
export function registerLayerExporter<L extends Layer>(className: string, exporter: LayerExporter<L>): void {
  if (typeof className !== 'string' || className.length === 0) throw new TypeError('registerLayerExporter: className must be a non-empty string');
  if (typeof exporter?.emit !== 'function' || typeof exporter.padding !== 'function') {
    throw new TypeError('registerLayerExporter: exporter must be { padding(layer), channels, emit(x, layer, g) }');
  }
  exporters.set(className, exporter as unknown as LayerExporter);
}

/** The exporter of a layer; an Error naming the layer when there is none. */
export function exporterFor(layer: Layer): LayerExporter {
  const e = exporters.get(layer.className);
  if (!e) {
    throw new Error(`exportOnnx: no ONNX exporter for layer '${layer.name || layer.className}' (${layer.className}); ` +
      `exportable layers: ${[...exporters.keys()].join(', ')}`);
  }
  return e;
}
