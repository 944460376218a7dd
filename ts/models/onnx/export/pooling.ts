// GlobalMaxPooling1D -> ReduceMax over the time axis, over each row's valid steps only (padded steps
// become -inf first); a row without valid steps gives 0, as vigil's layer does.
import type { GlobalMaxPooling1D } from '../../layers/pooling.ts';
import { timeAxis } from './graph.ts';
import { registerLayerExporter } from './registry.ts';

registerLayerExporter<GlobalMaxPooling1D>('GlobalMaxPooling1D', {
  padding: () => 'any',
  channels: 'any',
  emit(x, _layer, g) {
    const masked = x.lengths ? g.op('Where', [g.mask(x), x.name, g.scalar(-Infinity)]) : x.name;
    let y = g.op('ReduceMax', [masked], { axes: { ints: [timeAxis(x)] }, keepdims: { i: 0 } });
    if (x.lengths) {
      const some = g.op('Unsqueeze', [g.op('Greater', [x.lengths, g.ints([0], true)]), g.ints([1])]);
      y = g.op('Where', [some, y, g.scalar(0)]);
    }
    return { name: y, dims: [x.dims[0]!, x.dims[2]!], channelsFirst: false, lengths: null, padded: 'pre', time: null };
  },
});
