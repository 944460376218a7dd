// The variational autoencoder's reparameterised draw (Kingma & Welling 2014; the `Sampling` layer
// of Keras' VAE example) with its KL term. The input holds each row's posterior mean and log
// variance side by side, [batch, 2·latent] = [μ | log σ²] (one Dense layer of 2·latent units
// in front makes both); the output is z [batch, latent]:
//   training:  z = μ + exp(½ log σ²) · ε,  ε ~ N(0, 1) from the Philox stream of (seed, stream)
//              Sequential gives each training step and layer, so a seed repeats a fit exactly;
//   inference: z = μ (the posterior mean: a deterministic code, so scores repeat).
// The KL divergence of N(μ, σ²) from the prior N(0, 1), averaged over the batch and times
// `klWeight`, joins the training loss:  klWeight · mean_rows ½ Σ_j (μ² + σ² − 1 − log σ²).
// Like an activity penalty it depends on the activations, so its gradient (klWeight/batch ·
// μ for μ, klWeight/batch · ½(σ² − 1) for log σ²) is added in backward() and regularize()
// reports the value.
import { randomNormal } from '../../bindings/random.ts';
import { Buffers, Layer, options, positiveInt } from './layer.ts';
import type { CallContext, Flow, Shape } from './layer.ts';
import { optionNames } from '../options.ts';

export interface SamplingOptions {
  /** Weight of the KL term in the loss (default 1). */
  klWeight?: number;
}

const OPTIONS = optionNames<SamplingOptions>()(['klWeight']);

export class Sampling extends Layer {
  readonly className = 'Sampling';
  readonly latent: number;
  readonly klWeight: number;
  private readonly buffers = new Buffers();
  private saved: { x: Float32Array; eps: Float32Array; N: number } | null = null;
  private kl = 0;

  constructor(latent: number, opts?: SamplingOptions) {
    super(null);
    const o = options<SamplingOptions>('Sampling', opts, OPTIONS);
    this.latent = positiveInt('Sampling', 'latent', latent, 1 << 16);
    const w = o.klWeight ?? 1;
    if (typeof w !== 'number') throw new TypeError(`Sampling: klWeight must be a number, got ${typeof w}`);
    if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`Sampling: klWeight must be a finite number >= 0, got ${w}`);
    this.klWeight = w;
  }

  getConfig(): { latent: number; klWeight: number } {
    return { latent: this.latent, klWeight: this.klWeight };
  }

  build(inputShape: Shape): Shape {
    const last = inputShape[inputShape.length - 1];
    if (inputShape.length !== 1 || last !== 2 * this.latent) {
      throw new RangeError(`Sampling: the input must be [batch, ${2 * this.latent}] (mean and log variance of ${this.latent} latent units), got [batch, ${inputShape.join(', ')}]`);
    }
    this.built = true;
    this.outShape = [this.latent];
    return this.outShape;
  }

  async forward(input: Flow, ctx: CallContext): Promise<Flow> {
    const x = input.data;
    if (!(x instanceof Float32Array)) throw new TypeError('Sampling: input must be a Float32Array');
    const L = this.latent, N = x.length / (2 * L);
    const z = this.buffers.get('z', N * L);
    this.kl = 0;
    this.saved = null;
    if (!ctx.training) {
      for (let i = 0; i < N; i++) z.set(x.subarray(i * 2 * L, i * 2 * L + L), i * L);
      return { data: z, shape: [input.shape[0], L], lengths: null };
    }
    const eps = randomNormal(this.buffers.get('eps', N * L), ctx.seed, ctx.stream);
    let kl = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < L; j++) {
        const mu = x[i * 2 * L + j], lv = x[i * 2 * L + L + j];
        const v = Math.exp(lv);
        z[i * L + j] = mu + Math.sqrt(v) * eps[i * L + j];
        kl += mu * mu + v - 1 - lv;
      }
    }
    this.kl = (this.klWeight * 0.5 * kl) / Math.max(N, 1);
    this.saved = { x, eps, N };
    return { data: z, shape: [input.shape[0], L], lengths: null };
  }

  async backward(dOut: Float32Array, needInputGrad: boolean): Promise<Float32Array | null> {
    const s = this.saved;
    this.saved = null;
    if (!needInputGrad || !s) return null;
    const L = this.latent, { x, eps, N } = s;
    const dX = this.buffers.get('dX', N * 2 * L);
    const w = this.klWeight / Math.max(N, 1);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < L; j++) {
        const mu = x[i * 2 * L + j], lv = x[i * 2 * L + L + j];
        const sd = Math.exp(0.5 * lv), dz = dOut[i * L + j];
        dX[i * 2 * L + j] = dz + w * mu;
        dX[i * 2 * L + L + j] = dz * 0.5 * sd * eps[i * L + j] + w * 0.5 * (sd * sd - 1);
      }
    }
    return dX;
  }

  /** The KL term of the last training forward (its gradient went out through backward). */
  override regularize(): number {
    const kl = this.kl;
    this.kl = 0;
    return kl;
  }
}
