// Dense -> Gemm (transB: vigil's kernel is [units, input], PyTorch's Linear layout) on [batch, features],
// MatMul + Add over the last axis of a sequence; then the activation. TimeDistributed(Dense) is the same
// Dense on the sequence (vigil's Dense already maps the last axis), with the TimeDistributed layer's name.
import type { Dense } from '../../layers/dense.ts';
import { Dense as DenseLayer } from '../../layers/dense.ts';
import type { TimeDistributed } from '../../layers/time_distributed.ts';
import { emitActivation } from './activation.ts';
import type { ExportGraph, Flow } from './graph.ts';
import { registerLayerExporter, sized } from './registry.ts';

/** Dense over the last axis of x (channels last); `prefix` names the initializers as vigil's weight names. */
function emitDense(x: Flow, layer: Dense, g: ExportGraph, prefix: string): Flow {
  const U = layer.units, I = layer.inputDim;
  const bias = layer.bias ? g.floats(`${prefix}/bias`, [U], layer.bias) : null;
  let z: string;
  if (x.dims.length === 2) {
    const W = g.floats(`${prefix}/kernel`, [U, I], layer.kernel);
    z = g.op('Gemm', bias ? [x.name, W, bias] : [x.name, W], { transB: { i: 1 } });
  } else {
    const Wt = new Float32Array(I * U);
    for (let u = 0; u < U; u++) for (let i = 0; i < I; i++) Wt[i * U + u] = layer.kernel[u * I + i];
    z = g.op('MatMul', [x.name, g.floats(`${prefix}/kernel_t`, [I, U], Wt)]);
    if (bias) z = g.op('Add', [z, bias]);
  }
  return { ...x, name: emitActivation(g, z, layer.activation), dims: [...x.dims.slice(0, -1), U] };
}

/** The inverse of emitDense: the kernel from `kernel` [units, input] or its transpose `kernel_t`. */
function restoreDense(layer: Dense, get: (name: string) => Float32Array, prefix: string): void {
  const U = layer.units, I = layer.inputDim;
  let W: Float32Array;
  try {
    W = sized(get(`${prefix}/kernel`), U * I, `${prefix}/kernel`);
  } catch {
    const Wt = sized(get(`${prefix}/kernel_t`), U * I, `${prefix}/kernel_t`);
    W = new Float32Array(U * I);
    for (let u = 0; u < U; u++) for (let i = 0; i < I; i++) W[u * I + i] = Wt[i * U + u]!;
  }
  layer.kernel.set(W);
  if (layer.bias) layer.bias.set(sized(get(`${prefix}/bias`), U, `${prefix}/bias`));
}

registerLayerExporter<Dense>('Dense', {
  padding: () => 'any',
  perStep: true,
  channels: 'last',
  emit: (x, layer, g) => emitDense(x, layer, g, layer.name),
  restore: (layer, get) => restoreDense(layer, get, layer.name),
});

registerLayerExporter<TimeDistributed>('TimeDistributed', {
  padding: () => 'any',
  perStep: true,
  channels: 'last',
  emit(x, layer, g) {
    if (!(layer.layer instanceof DenseLayer)) {
      throw new Error(`exportOnnx: ${layer.name} is TimeDistributed(${layer.layer.className}); only TimeDistributed(Dense) exports`);
    }
    return emitDense(x, layer.layer, g, layer.name);
  },
  restore: (layer, get) => restoreDense(layer.layer as Dense, get, layer.name),
});
