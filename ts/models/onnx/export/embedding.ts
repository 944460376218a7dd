// Embedding -> Gather of the table's rows by the int64 ids [batch, time] -> [batch, time, outputDim].
// (vigil folds the table into a following LSTM's input projection; the exported graph keeps the
// plain Gather, which is the same function and what every ONNX reader knows.)
import type { Embedding } from '../../layers/embedding.ts';
import { registerLayerExporter } from './registry.ts';

registerLayerExporter<Embedding>('Embedding', {
  padding: () => 'any',
  perStep: true,
  channels: 'last',
  emit(x, layer, g) {
    const table = g.floats(`${layer.name}/embeddings`, [layer.inputDim, layer.outputDim], layer.embeddings);
    return { ...x, name: g.op('Gather', [table, x.name], { axis: { i: 0 } }), dims: [...x.dims, layer.outputDim] };
  },
});
