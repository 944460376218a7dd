// Parallel branches over one input, their outputs joined on the last axis: what Keras writes in
// its functional form as concatenate([GlobalAveragePooling1D()(x), GlobalMaxPooling1D()(x)]).
// Sequential has a single path, so the branches live inside one layer: each reads the same flow,
// and in the backward each gets its slice of the gradient and their input gradients add up.
import { Buffers, Layer } from './layer.ts';
import type { CallContext, Flow, LayerConfig, Shape, Weight } from './layer.ts';

/** Build streams and dropout streams of branch k sit this far apart (Sequential spaces layers 16 apart). */
const BRANCH_BUILD_STREAM = 4;
const BRANCH_CALL_STREAM = 128;

export class Concatenate extends Layer {
  readonly className = 'Concatenate';
  readonly branches: readonly Layer[];
  private readonly buffers = new Buffers();
  private widths: number[] = [];
  private saved: { rows: number } | null = null;

  constructor(branches: Layer[]) {
    if (!Array.isArray(branches) || branches.length < 2) throw new TypeError('Concatenate: branches must be an array of at least 2 layers');
    branches.forEach((b, i) => {
      if (!(b instanceof Layer)) throw new TypeError(`Concatenate: branches[${i}] must be a layer`);
      if (b.isBuilt) throw new TypeError(`Concatenate: branches[${i}] must be a new, unbuilt layer`);
      if (branches.indexOf(b) !== i) throw new TypeError(`Concatenate: branches[${i}] is the same layer as an earlier branch`);
    });
    super(branches.find((b) => b.inputShape)?.inputShape ?? null);
    this.branches = [...branches];
  }

  getConfig(): LayerConfig {
    return { branches: this.branches.map((b) => ({ className: b.className, config: b.getConfig() })) };
  }

  build(inputShape: Shape, seed: number, streamBase: number): Shape {
    const outs = this.branches.map((b, k) => b.build([...inputShape], seed, streamBase + BRANCH_BUILD_STREAM * k));
    const lead = outs[0].slice(0, -1);
    outs.forEach((s, k) => {
      if (s.length !== outs[0].length || s.slice(0, -1).some((d, i) => d !== lead[i]) || typeof s.at(-1) !== 'number') {
        throw new RangeError(`Concatenate: branch outputs must differ only in their last axis, got [batch, ${outs[0].join(', ')}] and [batch, ${s.join(', ')}] (branch ${k})`);
      }
    });
    this.widths = outs.map((s) => s.at(-1) as number);
    // Shared arrays: the optimizer's in-place updates reach the branches.
    this.weightList = this.branches.flatMap((b, k) => b.weights.map((w): Weight => ({ ...w, name: `branch${k}_${b.className}/${w.name}` })));
    this.outShape = [...lead, this.widths.reduce((a, b) => a + b, 0)];
    this.built = true;
    return this.outShape;
  }

  override weightsChanged(): void {
    for (const b of this.branches) b.weightsChanged();
  }

  override regularize(): number {
    return this.branches.reduce((sum, b) => sum + b.regularize(), 0);
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const outs: Flow[] = [];
    for (let k = 0; k < this.branches.length; k++) {
      outs.push(await this.branches[k].forward(input, { ...ctx, stream: ctx.stream + BRANCH_CALL_STREAM * k }));
    }
    const W = this.widths.reduce((a, b) => a + b, 0);
    const rows = outs[0].data.length / this.widths[0];
    const out = this.buffers.get('out', rows * W);
    let at = 0;
    outs.forEach((o, k) => {
      const w = this.widths[k], d = o.data as Float32Array;
      for (let r = 0; r < rows; r++) out.set(d.subarray(r * w, (r + 1) * w), r * W + at);
      at += w;
    });
    if (ctx.training) this.saved = { rows };
    return { data: out, shape: [...outs[0].shape.slice(0, -1), W], lengths: outs[0].lengths };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    if (!s) throw new Error('Concatenate: backward without a training forward');
    this.saved = null;
    const W = this.widths.reduce((a, b) => a + b, 0);
    let dX: Float32Array | null = null;
    let at = 0;
    for (let k = 0; k < this.branches.length; k++) {
      const w = this.widths[k];
      const d = this.buffers.get('dBranch', s.rows * w);
      for (let r = 0; r < s.rows; r++) d.set(dOut.subarray(r * W + at, r * W + at + w), r * w);
      at += w;
      const dk = await this.branches[k].backward(d, needInputGrad);
      if (!needInputGrad || !dk) continue;
      if (!dX) {
        // The first branch's gradient may be its own reused buffer: sum into ours.
        dX = this.buffers.get('dX', dk.length);
        dX.set(dk);
      } else {
        for (let i = 0; i < dX.length; i++) dX[i] += dk[i];
      }
    }
    return needInputGrad ? dX : null;
  }
}
