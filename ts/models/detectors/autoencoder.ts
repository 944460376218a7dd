// A dense autoencoder as an anomaly detector: trained to reproduce normal rows through a narrow
// code, it reconstructs rows unlike them badly; the score is the mean squared reconstruction
// error (dense_autoencoder.ts: the variants, the score, the training).
//
//   const ae = await new Autoencoder({ encoding: 14, hidden: [32], l1: 1e-4, noise: 0.1 }).fit(x);
import type { Layer } from '../layers/layer.ts';
import { registerDetector } from './detector.ts';
import type { Detector, JSONObject } from './detector.ts';
import { DenseAutoencoder, int, nonNegative } from './dense_autoencoder.ts';
import { DENSE_AUTOENCODER_OPTIONS } from './dense_autoencoder.ts';
import type { DenseAutoencoderOptions } from './dense_autoencoder.ts';
import { knownOptions, optionNames } from '../options.ts';

export interface AutoencoderOptions extends DenseAutoencoderOptions {
  /** Units of the code (default: half the features, rounded up). */
  encoding?: number;
  /** L1 activity penalty on the code, Keras' activity_regularizer l1 (default 0: not sparse). */
  l1?: number;
}

const FN = 'Autoencoder';
const OPTIONS = optionNames<AutoencoderOptions>()([...DENSE_AUTOENCODER_OPTIONS, 'encoding', 'l1']);

export class Autoencoder extends DenseAutoencoder {
  readonly modelType = 'Autoencoder';
  /** Code units; null: half the features of the training rows. */
  readonly encoding: number | null;
  readonly l1: number;

  constructor(opts: AutoencoderOptions = {}) {
    knownOptions(FN, opts, OPTIONS);
    super(FN, opts);
    this.encoding = opts.encoding === undefined ? null : int(FN, 'encoding', opts.encoding, 1, 1, 1 << 16);
    this.l1 = nonNegative(FN, 'l1', opts.l1, 0);
  }

  protected code(features: number): Layer[] {
    return this.bottleneck(this.encoding ?? Math.ceil(features / 2), this.l1);
  }

  protected ownConfig(): JSONObject {
    return { l1: this.l1, ...(this.encoding === null ? {} : { encoding: this.encoding }) };
  }
}

registerDetector('Autoencoder', ({ config, fitted, weights }) => {
  const d = new Autoencoder(config as AutoencoderOptions);
  d.loadState(fitted, weights);
  return d as Detector<never>;
});
