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
import type { LayerConfig, Shape } from './layer.ts';
import { LSTM } from './lstm.ts';
import { GlobalMaxPooling1D } from './pooling.ts';
import { Recurrent } from './recurrent.ts';
import { SimpleRNN } from './simple_rnn.ts';

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
  ['Bidirectional', (c) => {
    const inner = field<{ className: string; config: LayerConfig }>('Bidirectional', c, 'layer',
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { className?: unknown }).className === 'string',
      'an object { className, config }');
    const layer = layerFromConfig(inner.className, inner.config);
    if (!(layer instanceof Recurrent)) throw new TypeError(`Bidirectional config: layer must be a recurrent layer, got ${inner.className}`);
    return new Bidirectional(layer, {
      mergeMode: field<MergeMode>('Bidirectional', c, 'mergeMode', (v) => typeof v === 'string', 'a string'),
      inputShape: shape('Bidirectional', c, 'inputShape'),
    });
  }],
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
