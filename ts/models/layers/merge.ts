// Keras' merge layers for the functional Model: they join several placeholders into one
// (Dot([a, b]) for a Siamese model's similarity, Add, Subtract, Multiply). They have no weights;
// forwardMany/backwardMany take and give one flow or gradient per input. A merge layer has no
// single input, so Sequential cannot hold one (build() says so).
import { Buffers, Layer, options } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Reserve, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

export abstract class MergeLayer extends Layer {
  protected readonly buffers = new Buffers();
  protected saved: Flow[] | null = null;

  override get takesMany(): boolean {
    return true;
  }

  build(_inputShape: Shape, _seed: number, _streamBase: number): Shape {
    throw new TypeError(`${this.className}: a merge layer takes a list of inputs: use it in a functional Model, ${this.className.toLowerCase()}.apply([a, b])`);
  }

  forward(_input: Flow, _ctx: CallContext): Promise<Flow> {
    throw new TypeError(`${this.className}: a merge layer takes a list of inputs (forwardMany)`);
  }

  backward(_dOut: Float32Array, _needInputGrad: boolean): Promise<Float32Array | null> {
    throw new TypeError(`${this.className}: a merge layer takes a list of inputs (backwardMany)`);
  }

  /** Checks the inputs' shapes (batch axis left out) and returns the output's. */
  abstract buildMany(inputShapes: Shape[]): Shape;
  abstract forwardMany(inputs: Flow[], ctx: CallContext): Promise<Flow>;
  /** Gradient w.r.t. each input of the last training forward (null where need[i] is false). */
  abstract backwardMany(dOut: Float32Array, need: boolean[]): Promise<(Float32Array | null)[]>;
  /** As Layer.reserve, one shape per input. */
  reserveMany(_shapes: number[][], _r: Reserve): number[] | null {
    return null;
  }

  protected sameShapes(shapes: Shape[]): Shape {
    const s0 = shapes[0];
    shapes.forEach((s, k) => {
      if (s.length !== s0.length || s.some((d, i) => d !== s0[i])) {
        throw new RangeError(`${this.className}: inputs must have the same shape, got [batch, ${s0.join(', ')}] and [batch, ${s.join(', ')}] (input ${k})`);
      }
    });
    this.built = true;
    this.outShape = [...s0];
    return this.outShape;
  }
}

type Op = 'add' | 'subtract' | 'multiply';

/** Elementwise merges of inputs of one shape. */
abstract class Elementwise extends MergeLayer {
  protected abstract readonly op: Op;

  getConfig(): LayerConfig {
    return {};
  }

  buildMany(inputShapes: Shape[]): Shape {
    if (this.op === 'subtract' && inputShapes.length !== 2) throw new TypeError(`Subtract: takes exactly 2 inputs, got ${inputShapes.length}`);
    return this.sameShapes(inputShapes);
  }

  async forwardMany(inputs: Flow[], ctx: CallContext): Promise<Flow> {
    const xs = inputs.map((f) => f.data as Float32Array);
    const out = this.buffers.get('out', xs[0].length);
    out.set(xs[0]);
    for (let k = 1; k < xs.length; k++) {
      const x = xs[k];
      if (this.op === 'add') for (let i = 0; i < out.length; i++) out[i] += x[i];
      else if (this.op === 'subtract') for (let i = 0; i < out.length; i++) out[i] -= x[i];
      else for (let i = 0; i < out.length; i++) out[i] *= x[i];
    }
    if (ctx.training) this.saved = inputs;
    return { data: out, shape: [...inputs[0].shape], lengths: inputs[0].lengths };
  }

  async backwardMany(dOut: Float32Array, need: boolean[]): Promise<(Float32Array | null)[]> {
    const s = this.saved;
    if (!s) throw new Error(`${this.className}: backward without a training forward`);
    this.saved = null;
    return s.map((_, k) => {
      if (!need[k]) return null;
      const d = this.buffers.get(`d${k}`, dOut.length);
      if (this.op === 'add') d.set(dOut);
      else if (this.op === 'subtract') for (let i = 0; i < d.length; i++) d[i] = k === 0 ? dOut[i] : -dOut[i];
      else {
        // d(x0 * x1 * ...)/dxk: the product of the other inputs.
        d.set(dOut);
        s.forEach((f, j) => {
          if (j === k) return;
          const x = f.data as Float32Array;
          for (let i = 0; i < d.length; i++) d[i] *= x[i];
        });
      }
      return d;
    });
  }
}

/** Keras' Add: the elementwise sum of its inputs. */
export class Add extends Elementwise {
  readonly className = 'Add';
  protected readonly op = 'add';
}

/** Keras' Subtract: inputs[0] - inputs[1]. */
export class Subtract extends Elementwise {
  readonly className = 'Subtract';
  protected readonly op = 'subtract';
}

/** Keras' Multiply: the elementwise product of its inputs. */
export class Multiply extends Elementwise {
  readonly className = 'Multiply';
  protected readonly op = 'multiply';
}

export interface DotOptions {
  /** The axis to sum over: -1 (or 1), the features of [batch, features] inputs (Keras' axes). */
  axes?: number;
  /** L2-normalise both inputs first, so the output is their cosine similarity (Keras' normalize). */
  normalize?: boolean;
}

const DOT_OPTIONS = optionNames<DotOptions>()(['axes', 'normalize']);

/** Keras' l2_normalize epsilon: a zero vector has norm sqrt(1e-12), not 0. */
const NORM_EPS = 1e-12;

/** Keras' Dot on two [batch, features] inputs: the row-wise dot product (or cosine), [batch, 1]. */
export class Dot extends MergeLayer {
  readonly className = 'Dot';
  readonly axes: number;
  readonly normalize: boolean;
  private D = 0;
  /** Per row: 1/|a|, 1/|b| (1 without normalize), and the output. */
  private stats: Float64Array = new Float64Array(0);

  constructor(opts?: DotOptions) {
    const o = options<DotOptions>('Dot', opts, DOT_OPTIONS);
    super(null);
    const axes = o.axes ?? -1;
    if (typeof axes !== 'number') throw new TypeError(`Dot: axes must be a number, got ${typeof axes}`);
    if (axes !== -1 && axes !== 1) throw new RangeError(`Dot: axes must be -1 or 1 (the feature axis of [batch, features] inputs), got ${axes}`);
    this.axes = axes;
    this.normalize = o.normalize ?? false;
    if (typeof this.normalize !== 'boolean') throw new TypeError('Dot: normalize must be a boolean');
  }

  getConfig(): LayerConfig {
    return { axes: this.axes, normalize: this.normalize };
  }

  buildMany(inputShapes: Shape[]): Shape {
    if (inputShapes.length !== 2) throw new TypeError(`Dot: takes exactly 2 inputs, got ${inputShapes.length}`);
    const [a, b] = inputShapes;
    if (a.length !== 1 || b.length !== 1 || a[0] === null || a[0] !== b[0]) {
      throw new RangeError(`Dot: inputs must both be [batch, features] with the same features, got [batch, ${a.join(', ')}] and [batch, ${b.join(', ')}]`);
    }
    this.D = a[0];
    this.built = true;
    this.outShape = [1];
    return this.outShape;
  }

  override reserveMany(shapes: number[][], _r: Reserve): number[] | null {
    this.buffers.reserve('out', shapes[0][0]);
    return [shapes[0][0], 1];
  }

  async forwardMany(inputs: Flow[], ctx: CallContext): Promise<Flow> {
    const a = inputs[0].data as Float32Array, b = inputs[1].data as Float32Array;
    const D = this.D, B = a.length / D;
    const out = this.buffers.get('out', B);
    if (this.stats.length < 3 * B) this.stats = new Float64Array(3 * B);
    const st = this.stats;
    for (let r = 0; r < B; r++) {
      let p = 0, sa = 0, sb = 0;
      for (let i = r * D; i < (r + 1) * D; i++) {
        p += a[i] * b[i];
        sa += a[i] * a[i];
        sb += b[i] * b[i];
      }
      const ra = this.normalize ? 1 / Math.sqrt(Math.max(sa, NORM_EPS)) : 1;
      const rb = this.normalize ? 1 / Math.sqrt(Math.max(sb, NORM_EPS)) : 1;
      // ra/rb are stored negative when the epsilon clamp was active: that norm's derivative is 0.
      st[3 * r] = sa > NORM_EPS ? ra : -ra;
      st[3 * r + 1] = sb > NORM_EPS ? rb : -rb;
      st[3 * r + 2] = p * ra * rb;
      out[r] = st[3 * r + 2];
    }
    if (ctx.training) this.saved = inputs;
    return { data: out, shape: [B, 1], lengths: null };
  }

  async backwardMany(dOut: Float32Array, need: boolean[]): Promise<(Float32Array | null)[]> {
    const s = this.saved;
    if (!s) throw new Error('Dot: backward without a training forward');
    this.saved = null;
    const a = s[0].data as Float32Array, b = s[1].data as Float32Array;
    const D = this.D, B = a.length / D, st = this.stats;
    const grad = (k: 0 | 1): Float32Array | null => {
      if (!need[k]) return null;
      const [x, other] = k === 0 ? [a, b] : [b, a];
      const d = this.buffers.get(`d${k}`, B * D);
      for (let r = 0; r < B; r++) {
        const rx = Math.abs(st[3 * r + k]), ro = Math.abs(st[3 * r + 1 - k]), y = st[3 * r + 2];
        // y = (x . o) rx ro with rx = 1/|x|: dy/dx = rx ro o - y rx^2 x (the second term only when normalising).
        const self = this.normalize && st[3 * r + k] > 0 ? y * rx * rx : 0;
        const g = dOut[r];
        for (let i = r * D; i < (r + 1) * D; i++) d[i] = g * (rx * ro * other[i] - self * x[i]);
      }
      return d;
    };
    return [grad(0), grad(1)];
  }
}
