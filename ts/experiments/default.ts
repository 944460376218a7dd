// vigil's own configuration, the same for every experiment, chosen on principle rather than on
// any test split:
// - packed lengths: the LSTM runs over each sequence's real characters only (pre-padding costs
//   nothing), so a long maxlen is free and nothing learns to count padding;
// - Embedding(V, 32): ~70 characters need few dimensions; the width goes to the LSTM instead;
// - LSTM(128): enough state to track several sub-patterns of a URL or request at once (LSTM(32)
//   underfits the phishing set in the notebook's 10 epochs);
// - Adam at 2e-3: Adam's usual range for recurrent nets, a little above Keras' 1e-3 because the
//   batches are small (64) and early stopping, not a fixed schedule, ends training;
// - 10% of the training rows for validation, EarlyStopping on val_loss with patience 3 and the
//   best epoch's weights restored, under a cap of 40 epochs (the phishing set needs about 20);
// - an OOV index, so a character never seen in training still counts as "something unusual"
//   instead of vanishing (Keras drops it).
import { Dense } from '../models/layers/dense.ts';
import { Embedding } from '../models/layers/embedding.ts';
import { LSTM } from '../models/layers/lstm.ts';
import type { Recipe } from './run.ts';

export const defaultRecipe: Recipe = {
  describe: 'Embedding(V, 32) -> LSTM(128) -> Dense(1, sigmoid); Adam 2e-3, batch 64, early stopping on 10% validation (patience 3, cap 40 epochs)',
  layers: (V) => [new Embedding(V, 32), new LSTM(128), new Dense(1, { activation: 'sigmoid' })],
  optimizer: { name: 'adam', learningRate: 2e-3 },
  epochs: 40,
  batchSize: 64,
  validationSplit: 0.1,
  earlyStopping: { monitor: 'val_loss', patience: 3, restoreBestWeights: true },
  tokenizer: { oovToken: '<oov>' },
};
