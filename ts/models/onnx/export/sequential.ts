// A Sequential's layers as ONNX nodes, for exportOnnx and for detectors that wrap a Sequential (an LSTM
// forecaster scores the graph's forecast against the next step, an autoencoder its reconstruction):
// emitSequential(builder, model, input) adds the nodes and returns the output value in vigil's layout.
import type { Sequential } from '../../sequential.ts';
import { DataType, type GraphBuilder } from '../build.ts';
import { ExportGraph, type Dim, type Flow, type PaddingSide } from './graph.ts';
import { exporterFor } from './registry.ts';
import { knownOptions } from '../../options.ts';
import './conv.ts';
import './dense.ts';
import './embedding.ts';
import './normalized_relu.ts';
import './pooling.ts';
import './recurrent.ts';
import './reshape.ts';
import './tcn.ts';

export interface SequentialOutput {
  /** The value holding the model's output, [batch, ...] in vigil's layout (channels last, 'pre'-padded). */
  name: string;
  /** Its shape: batch and time symbolic ('batch', 'time' or a name derived from it), the rest known. */
  dims: Dim[];
}

export interface EmitOptions {
  /** int64 [batch]: each row's valid (last, 'pre'-padded) steps, as predict's `lengths`; omitted: every step is valid. */
  lengths?: string | null;
}

/** The model's input shape with the batch axis, as the graph's input declares it. */
export function inputDims(model: Sequential): Dim[] {
  return ['batch', ...model.getConfig().inputShape.map((d) => d ?? 'time')];
}

/**
 * Adds the nodes of a built Sequential reading `input` (int64 token ids [batch, time] for a model that
 * starts with an Embedding, float32 [batch, ...inputShape] otherwise) and returns its output value:
 * what `model.predict` returns for the same rows.
 */
export function emitSequential(builder: GraphBuilder | ExportGraph, model: Sequential, input: string, opts: EmitOptions = {}): SequentialOutput {
  knownOptions('emitSequential', opts, ['lengths'] satisfies (keyof EmitOptions)[]);
  if (!model.built) throw new TypeError('emitSequential: the model is not built yet: call build(inputShape) or fit() first');
  const g = builder instanceof ExportGraph ? builder : new ExportGraph(builder);
  const layers = model.layers;
  const exporters = layers.map(exporterFor);
  // The padding side each layer reads: its own need; a per-step layer takes the next layer's, so that
  // the rotation happens before it, on the cheaper value (the ids before an Embedding).
  const side: Array<PaddingSide | 'any'> = layers.map((l, i) => exporters[i]!.padding(l));
  for (let i = layers.length - 2; i >= 0; i--) if (side[i] === 'any' && exporters[i]!.perStep) side[i] = side[i + 1]!;
  let f: Flow = { name: input, dims: inputDims(model), channelsFirst: false, lengths: opts.lengths ?? null, padded: 'pre', time: null };
  layers.forEach((layer, i) => {
    const e = exporters[i]!;
    const s = side[i]!;
    if (s !== 'any') f = g.padTo(f, s);
    if (e.channels !== 'any') f = g.channels(f, e.channels === 'first');
    f = e.emit(f, layer, g);
  });
  f = g.channels(g.padTo(f, 'pre'), false);
  return { name: f.name, dims: f.dims };
}

/**
 * int64 [batch] valid steps of 'pre'-padded ids: the steps from the first non-zero id on (id 0 is
 * padding), what padSequences' lengths and an Embedding's maskZero give; 0 for a row of padding only.
 */
export function lengthsFromIds(builder: GraphBuilder | ExportGraph, ids: string): string {
  const g = builder instanceof ExportGraph ? builder : new ExportGraph(builder);
  const real = g.op('Cast', [g.op('Not', [g.op('Equal', [ids, g.ints([0], true)])])], { to: { i: DataType.INT64 } });
  const started = g.op('Greater', [g.op('CumSum', [real, g.ints([1], true)]), g.ints([0], true)]);
  return g.op('ReduceSum', [g.op('Cast', [started], { to: { i: DataType.INT64 } }), g.ints([1])], { keepdims: { i: 0 } });
}
