// TCN -> its residual blocks as Conv nodes (channels first throughout):
//   h = act(conv2(act(conv1(x))));  out = act(match(x) + h)  (match: 1x1 Conv when the widths differ)
// with the skip sum of every block's h (useSkipConnections) or the last block's out as the result,
// its last step unless returnSequences. The weights are read by the names the TCN layer gives them
// (block{i}/conv1|conv2|match/kernel|bias), in the order it builds its blocks.
import type { TCN } from '../../layers/tcn.ts';
import { emitActivation } from './activation.ts';
import { emitConv } from './conv.ts';
import type { Flow } from './graph.ts';
import { registerLayerExporter } from './registry.ts';

registerLayerExporter<TCN>('TCN', {
  // The last step is the last element of a 'pre'-padded row (vigil's TCN takes it there).
  padding: (layer) => (layer.returnSequences ? 'any' : 'pre'),
  channels: 'first',
  emit(x, layer, g) {
    const weights = new Map(layer.weights.map((w) => [w.name, w.value]));
    const conv = (input: Flow, block: number, part: string, kernelSize: number, dilation: number, activation: string) => {
      const prefix = `block${block}/${part}`;
      const kernel = weights.get(`${prefix}/kernel`);
      if (!kernel) throw new Error(`exportOnnx: ${layer.name} has no weight ${prefix}/kernel (is it built?)`);
      return emitConv(input, {
        name: `${layer.name}/${prefix}`, kernel, bias: weights.get(`${prefix}/bias`) ?? null, filters: layer.nbFilters,
        kernelSize, dilation, padding: layer.padding, activation,
      }, g);
    };
    let cur = x;
    let skip: string | null = null;
    let block = 0;
    for (let s = 0; s < layer.nbStacks; s++) {
      for (const d of layer.dilations) {
        const h = conv(conv(cur, block, 'conv1', layer.kernelSize, d, layer.activation), block, 'conv2', layer.kernelSize, d, layer.activation);
        // The residual is the block's input as it is (vigil adds x.data, padded steps included).
        const res = weights.has(`block${block}/match/kernel`) ? conv(cur, block, 'match', 1, 1, 'linear').name : cur.name;
        skip = skip ? g.op('Add', [skip, h.name]) : h.name;
        cur = { ...h, name: emitActivation(g, g.op('Add', [res, h.name]), layer.activation) };
        block++;
      }
    }
    const full: Flow = { ...cur, name: layer.useSkipConnections ? skip! : cur.name, lengths: x.lengths, padded: x.padded };
    if (layer.returnSequences) return full;
    return {
      name: g.op('Gather', [full.name, g.ints([-1], true)], { axis: { i: 2 } }), dims: [x.dims[0]!, layer.nbFilters],
      channelsFirst: false, lengths: null, padded: 'pre', time: null,
    };
  },
});
