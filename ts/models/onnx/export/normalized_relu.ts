// NormalizedReLU -> Relu, then Div by (ReduceMax over the channel axis + epsilon): per step, so it
// works in either layout and on either padding side.
import type { NormalizedReLU } from '../../layers/normalized_relu.ts';
import { registerLayerExporter } from './registry.ts';

registerLayerExporter<NormalizedReLU>('NormalizedReLU', {
  padding: () => 'any',
  perStep: true,
  channels: 'any',
  emit(x, layer, g) {
    const axis = x.channelsFirst ? 1 : x.dims.length - 1;
    const r = g.op('Relu', [x.name]);
    const m = g.op('ReduceMax', [r], { axes: { ints: [axis] }, keepdims: { i: 1 } });
    return { ...x, name: g.op('Div', [r, g.op('Add', [m, g.scalar(layer.epsilon)])]) };
  },
});
