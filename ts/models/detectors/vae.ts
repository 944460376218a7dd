// A variational autoencoder (Kingma & Welling 2014) as an anomaly detector. The encoder maps a row
// to the mean and log variance of a Gaussian posterior over `latent` units; the Sampling layer
// draws a code from it by reparameterisation and adds the KL divergence from the N(0, I) prior to
// the loss; the decoder reconstructs the row from the code.
//
// Loss: mean squared error + klWeight · KL. The default klWeight, 1/features, is the loss of
// Keras' VAE example (mse · original_dim + KL, the book's) divided by the number of features, so
// the KL term keeps the example's weight against the reconstruction.
//
// Score: the mean squared reconstruction error of the row decoded from its posterior mean (one
// deterministic pass, so scores repeat). An & Cho's (2015) "reconstruction probability" would
// average the decoder's likelihood over several posterior draws; with the unit-variance Gaussian
// decoder this loss implies, its log is an average of such squared errors around the mean's.
import type { Layer } from '../layers/layer.ts';
import { Dense } from '../layers/dense.ts';
import { Sampling } from '../layers/sampling.ts';
import { registerDetector } from './detector.ts';
import type { Detector, JSONObject } from './detector.ts';
import { DenseAutoencoder, int, nonNegative } from './dense_autoencoder.ts';
import { DENSE_AUTOENCODER_OPTIONS } from './dense_autoencoder.ts';
import type { DenseAutoencoderOptions } from './dense_autoencoder.ts';
import { knownOptions, optionNames } from '../options.ts';

export interface VariationalAutoencoderOptions extends DenseAutoencoderOptions {
  /** Latent units (default 2). */
  latent?: number;
  /** Weight of the KL term (default: 1 / features). */
  klWeight?: number;
}

const FN = 'VariationalAutoencoder';
const OPTIONS = optionNames<VariationalAutoencoderOptions>()([...DENSE_AUTOENCODER_OPTIONS, 'latent', 'klWeight']);

export class VariationalAutoencoder extends DenseAutoencoder {
  readonly modelType = 'VariationalAutoencoder';
  readonly latent: number;
  /** null: 1 / features of the training rows. */
  readonly klWeight: number | null;

  constructor(opts: VariationalAutoencoderOptions = {}) {
    knownOptions(FN, opts, OPTIONS);
    super(FN, opts);
    this.latent = int(FN, 'latent', opts.latent, 2, 1, 1 << 15);
    this.klWeight = opts.klWeight === undefined ? null : nonNegative(FN, 'klWeight', opts.klWeight, 0);
  }

  protected code(features: number): Layer[] {
    return [new Dense(2 * this.latent), new Sampling(this.latent, { klWeight: this.klWeight ?? 1 / features })];
  }

  protected ownConfig(): JSONObject {
    return { latent: this.latent, ...(this.klWeight === null ? {} : { klWeight: this.klWeight }) };
  }
}

registerDetector('VariationalAutoencoder', ({ config, fitted, weights }) => {
  const d = new VariationalAutoencoder(config as VariationalAutoencoderOptions);
  d.loadState(fitted, weights);
  return d as Detector<never>;
});
