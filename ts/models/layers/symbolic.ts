// The functional form's graph records (Keras' KerasTensor and Node): Input() makes a placeholder,
// layer.apply(x) records which layer reads which placeholders and returns its output placeholder.
// Nothing is built or computed here; Model (functional.ts) walks the records from its outputs.
// A placeholder only exists once its inputs do, so a graph built this way cannot hold a cycle.
import type { Layer, Shape } from './layer.ts';
import { knownOptions, optionNames } from '../options.ts';

export type InputDtype = 'float32' | 'int32';

/** One application of a layer: the layer and the placeholders it was applied to. */
export interface Node {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
}

export interface InputOptions {
  /** Shape of one sample, without the batch axis: [maxlen] for token ids; null marks a time axis known only from the data. */
  shape: Shape;
  /** 'int32' for token ids (read by an Embedding), 'float32' (default) for features. */
  dtype?: InputDtype;
  name?: string;
}

const INPUT_OPTIONS = optionNames<InputOptions>()(['shape', 'dtype', 'name']);

let counter = 0;

/** A placeholder for a model input or a layer's output in a functional graph. */
export class SymbolicTensor {
  /** A label for error messages: the input's name, or `<layer name or class>(...)`. */
  readonly label: string;
  readonly id = counter++;

  constructor(
    /** The layer application that produces it; null for an Input. */
    readonly node: Node | null,
    /** The Input's declaration (null for a layer output). */
    readonly input: { shape: Shape; dtype: InputDtype } | null,
    label: string,
  ) {
    this.label = label;
  }
}

/** Keras' Input(shape, dtype): a placeholder for one model input. */
export function Input(opts: InputOptions): SymbolicTensor {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('Input: options must be an object { shape, dtype }');
  knownOptions('Input', opts, INPUT_OPTIONS);
  const { shape } = opts;
  if (!Array.isArray(shape) || shape.some((d) => d !== null && (!Number.isInteger(d) || d < 1))) {
    throw new RangeError(`Input: shape must be an array of positive integers or null, got ${JSON.stringify(shape)}`);
  }
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') throw new RangeError(`Input: dtype must be 'float32' or 'int32', got ${JSON.stringify(dtype)}`);
  const name = opts.name ?? `input_${counter + 1}`;
  if (typeof name !== 'string') throw new TypeError('Input: name must be a string');
  return new SymbolicTensor(null, { shape: [...shape], dtype }, name);
}

/** Records `layer` applied to `input` (one placeholder, or a list for a merge layer). */
export function applyLayer(layer: Layer, input: SymbolicTensor | readonly SymbolicTensor[], many: boolean): SymbolicTensor {
  const what = layer.name || layer.className;
  const inputs = Array.isArray(input) ? [...input] : [input as SymbolicTensor];
  inputs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) {
      throw new TypeError(`${what}.apply: input${Array.isArray(input) ? `[${i}]` : ''} must be an Input() or the output of another layer's apply()`);
    }
  });
  if (many && (!Array.isArray(input) || inputs.length < 2)) throw new TypeError(`${what}.apply: a merge layer takes a list of at least 2 inputs`);
  if (!many && Array.isArray(input)) throw new TypeError(`${what}.apply: this layer takes one input, got a list (merge them first: Dot, Add, ...)`);
  return new SymbolicTensor({ layer, inputs }, null, `${what}(${inputs.map((t) => t.label).join(', ')})`);
}
