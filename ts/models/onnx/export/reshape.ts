// The layers that only move or drop values: Dropout and SpatialDropout1D (identity at inference),
// Flatten (Reshape [batch, -1] of vigil's row-major [time, channels]) and RepeatVector (Expand of
// [batch, 1, features] to n steps).
import type { Flatten } from '../../layers/flatten.ts';
import type { Layer } from '../../layers/layer.ts';
import type { RepeatVector } from '../../layers/sampling1d.ts';
import { registerLayerExporter } from './registry.ts';

for (const className of ['Dropout', 'SpatialDropout1D']) {
  registerLayerExporter<Layer>(className, { padding: () => 'any', perStep: true, channels: 'any', emit: (x) => x });
}

registerLayerExporter<Flatten>('Flatten', {
  // vigil flattens the padded rows as they are: valid steps last.
  padding: () => 'pre',
  channels: 'last',
  emit(x, _layer, g) {
    if (x.dims.length === 2) return x;
    const n = x.dims.slice(1).reduce<number>((a, d) => a * (d as number), 1);
    return { ...x, name: g.op('Reshape', [x.name, g.ints([0, -1])]), dims: [x.dims[0]!, n], lengths: null, time: null };
  },
});

registerLayerExporter<RepeatVector>('RepeatVector', {
  padding: () => 'any',
  channels: 'any',
  emit(x, layer, g) {
    const row = g.op('Unsqueeze', [x.name, g.ints([1])]);
    return {
      name: g.op('Expand', [row, g.ints([1, layer.n, 1])]), dims: [x.dims[0]!, layer.n, x.dims[1]!],
      channelsFirst: false, lengths: null, padded: 'pre', time: null,
    };
  },
});
