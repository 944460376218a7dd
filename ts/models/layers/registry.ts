// The one table of layer classes by name: model files store each layer as its class name and
// getConfig(), and loading turns them back into layers through here. Configs come from files, so
// every field is type-checked before it reaches a constructor (which checks ranges).
import { Bidirectional } from './bidirectional.ts';
import type { MergeMode } from './bidirectional.ts';
import { Dense } from './dense.ts';
import type { Activation } from './dense.ts';
import { Dropout } from './dropout.ts';
import { Embedding } from './embedding.ts';
import { Flatten } from './flatten.ts';
import { Layer } from './layer.ts';
import type { ConfigValue, LayerConfig, Shape } from './layer.ts';
import { LSTM } from './lstm.ts';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from './pooling.ts';
import { Concatenate } from './concatenate.ts';
import { Recurrent } from './recurrent.ts';
import { SimpleRNN } from './simple_rnn.ts';
import { Conv1D } from './conv1d.ts';
import type { Conv1DOptions } from './conv1d.ts';
import { MaxPooling1D, RepeatVector, UpSampling1D } from './sampling1d.ts';
import type { MaxPooling1DOptions } from './sampling1d.ts';
import { Permute } from './permute.ts';
import { SpatialDropout1D } from './spatial_dropout.ts';
import { NormalizedReLU } from './normalized_relu.ts';
import { TCN } from './tcn.ts';
import type { TCNOptions } from './tcn.ts';
import { TimeDistributed } from './time_distributed.ts';
import { GaussianNoise } from './noise.ts';
import { ActivityRegularization } from './activity_regularization.ts';
import { Sampling } from './sampling.ts';
import { Add, Dot, Multiply, Subtract } from './merge.ts';

/** Builds an unbuilt layer from its getConfig() output. */
export type LayerFactory = (config: LayerConfig) => Layer;

function field<T>(cls: string, c: LayerConfig, key: string, ok: (v: unknown) => boolean, want: string): T {
  const v = c[key];
  if (!ok(v)) throw new TypeError(`${cls} config: ${key} must be ${want}, got ${JSON.stringify(v) ?? 'undefined'}`);
  return v as T;
}

const isNumber = (v: unknown) => typeof v === 'number';
const isBool = (v: unknown) => typeof v === 'boolean';
const isShapeOrNull = (v: unknown) =>
  v === null || (Array.isArray(v) && v.every((d) => d === null || typeof d === 'number'));

const num = (cls: string, c: LayerConfig, k: string) => field<number>(cls, c, k, isNumber, 'a number');
const bool = (cls: string, c: LayerConfig, k: string) => field<boolean>(cls, c, k, isBool, 'a boolean');
const shape = (cls: string, c: LayerConfig, k: string) =>
  field<Shape | null>(cls, c, k, isShapeOrNull, 'a shape (numbers or null) or null') ?? undefined;

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (cls: string, c: LayerConfig, k: string) => field<string>(cls, c, k, (v) => typeof v === 'string', 'a string');
const regularizer = (cls: string, c: LayerConfig, k: string) =>
  field<{ l1: number; l2: number } | null>(cls, c, k, (v) => v === null || isObject(v), 'an object { l1, l2 } or null');
const innerLayer = (cls: string, c: LayerConfig): Layer => {
  const inner = field<{ className: string; config: LayerConfig }>(cls, c, 'layer',
    (v) => isObject(v) && typeof (v as { className?: unknown }).className === 'string', 'an object { className, config }');
  return layerFromConfig(inner.className, inner.config);
};

const recurrent = (cls: string, c: LayerConfig) =>
  [num(cls, c, 'units'), {
    returnSequences: bool(cls, c, 'returnSequences'),
    recurrentDropout: num(cls, c, 'recurrentDropout'),
    inputShape: shape(cls, c, 'inputShape'),
  }] as const;

const registry = new Map<string, LayerFactory>([
  ['Dense', (c) => new Dense(num('Dense', c, 'units'), {
    activation: field<Activation>('Dense', c, 'activation', (v) => typeof v === 'string', 'a string'),
    useBias: bool('Dense', c, 'useBias'),
    inputShape: shape('Dense', c, 'inputShape'),
  })],
  ['Embedding', (c) => {
    const len = field<number | null>('Embedding', c, 'inputLength', (v) => v === null || isNumber(v), 'a number or null');
    return new Embedding(num('Embedding', c, 'inputDim'), num('Embedding', c, 'outputDim'), {
      maskZero: bool('Embedding', c, 'maskZero'),
      ...(len === null ? {} : { inputLength: len }),
    });
  }],
  ['LSTM', (c) => new LSTM(...recurrent('LSTM', c))],
  ['SimpleRNN', (c) => new SimpleRNN(...recurrent('SimpleRNN', c))],
  ['Dropout', (c) => new Dropout(num('Dropout', c, 'rate'))],
  ['Flatten', () => new Flatten()],
  ['GlobalMaxPooling1D', (c) => new GlobalMaxPooling1D({ inputShape: shape('GlobalMaxPooling1D', c, 'inputShape') })],
  ['GlobalAveragePooling1D', (c) => new GlobalAveragePooling1D({ inputShape: shape('GlobalAveragePooling1D', c, 'inputShape') })],
  ['Concatenate', (c) => {
    const branches = field<ConfigValue[]>('Concatenate', c, 'branches', Array.isArray, 'an array of { className, config }');
    return new Concatenate(branches.map((b) => innerLayer('Concatenate', { layer: b })));
  }],
  ['Bidirectional', (c) => {
    const layer = innerLayer('Bidirectional', c);
    if (!(layer instanceof Recurrent)) throw new TypeError(`Bidirectional config: layer must be a recurrent layer, got ${layer.className}`);
    return new Bidirectional(layer, {
      mergeMode: field<MergeMode>('Bidirectional', c, 'mergeMode', (v) => typeof v === 'string', 'a string'),
      inputShape: shape('Bidirectional', c, 'inputShape'),
    });
  }],
  ['Conv1D', (c) => new Conv1D(num('Conv1D', c, 'filters'), num('Conv1D', c, 'kernelSize'), {
    dilationRate: num('Conv1D', c, 'dilationRate'),
    padding: str('Conv1D', c, 'padding') as Conv1DOptions['padding'],
    activation: str('Conv1D', c, 'activation') as Conv1DOptions['activation'],
    useBias: bool('Conv1D', c, 'useBias'),
    kernelRegularizer: regularizer('Conv1D', c, 'kernelRegularizer'),
    inputShape: shape('Conv1D', c, 'inputShape'),
  })],
  ['MaxPooling1D', (c) => new MaxPooling1D(num('MaxPooling1D', c, 'poolSize'), {
    strides: num('MaxPooling1D', c, 'strides'),
    padding: str('MaxPooling1D', c, 'padding') as MaxPooling1DOptions['padding'],
    inputShape: shape('MaxPooling1D', c, 'inputShape'),
  })],
  ['UpSampling1D', (c) => new UpSampling1D(num('UpSampling1D', c, 'size'), { inputShape: shape('UpSampling1D', c, 'inputShape') })],
  ['RepeatVector', (c) => new RepeatVector(num('RepeatVector', c, 'n'))],
  ['Permute', (c) => new Permute(field<number[]>('Permute', c, 'dims', (v) => Array.isArray(v) && v.every(isNumber), 'an array of numbers'))],
  ['SpatialDropout1D', (c) => new SpatialDropout1D(num('SpatialDropout1D', c, 'rate'))],
  ['NormalizedReLU', (c) => new NormalizedReLU({ epsilon: num('NormalizedReLU', c, 'epsilon'), inputShape: shape('NormalizedReLU', c, 'inputShape') })],
  ['TimeDistributed', (c) => new TimeDistributed(innerLayer('TimeDistributed', c))],
  ['TCN', (c) => new TCN({
    nbFilters: num('TCN', c, 'nbFilters'),
    kernelSize: num('TCN', c, 'kernelSize'),
    nbStacks: num('TCN', c, 'nbStacks'),
    dilations: field<number[]>('TCN', c, 'dilations', (v) => Array.isArray(v) && v.every(isNumber), 'an array of numbers'),
    padding: str('TCN', c, 'padding') as TCNOptions['padding'],
    useSkipConnections: bool('TCN', c, 'useSkipConnections'),
    dropoutRate: num('TCN', c, 'dropoutRate'),
    returnSequences: bool('TCN', c, 'returnSequences'),
    activation: str('TCN', c, 'activation') as TCNOptions['activation'],
    kernelRegularizer: regularizer('TCN', c, 'kernelRegularizer'),
    inputShape: shape('TCN', c, 'inputShape'),
  })],
  ['GaussianNoise', (c) => new GaussianNoise(num('GaussianNoise', c, 'stddev'))],
  ['ActivityRegularization', (c) => new ActivityRegularization({ l1: num('ActivityRegularization', c, 'l1'), l2: num('ActivityRegularization', c, 'l2') })],
  ['Sampling', (c) => new Sampling(num('Sampling', c, 'latent'), { klWeight: num('Sampling', c, 'klWeight') })],
  ['Dot', (c) => new Dot({ axes: num('Dot', c, 'axes'), normalize: bool('Dot', c, 'normalize') })],
  ['Add', () => new Add()],
  ['Subtract', () => new Subtract()],
  ['Multiply', () => new Multiply()],
]);

/** Registers a layer class under its className, so model files holding it can be loaded. */
export function registerLayer(className: string, factory: LayerFactory): void {
  if (typeof className !== 'string' || className.length === 0) throw new TypeError('registerLayer: className must be a non-empty string');
  if (typeof factory !== 'function') throw new TypeError('registerLayer: factory must be a function (config) => Layer');
  registry.set(className, factory);
}

/** Names of the layer classes a model file may hold. */
export function layerClassNames(): string[] {
  return [...registry.keys()];
}

/**
 * A new, unbuilt layer of class `className` from its config. Throws RangeError for an unknown
 * class, TypeError/RangeError (from the checks or the constructor) for a bad config.
 */
export function layerFromConfig(className: string, config: LayerConfig): Layer {
  const make = registry.get(className);
  if (!make) throw new RangeError(`unknown layer class '${className}' (known: ${layerClassNames().join(', ')})`);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(`${className} config must be an object, got ${JSON.stringify(config)}`);
  }
  const layer = make(config);
  if (!(layer instanceof Layer) || layer.className !== className) {
    throw new TypeError(`the factory registered for '${className}' did not return a ${className} layer`);
  }
  return layer;
}
