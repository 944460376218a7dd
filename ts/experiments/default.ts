// vigil's own configuration, the same for every experiment, chosen on principle and compared on
// fit's validation split (never on a test split):
// - packed lengths: the LSTM runs over each sequence's real characters only (pre-padding costs
//   nothing), so a long maxlen is free and nothing learns to count padding;
// - Embedding(V, 32): ~70 characters need few dimensions; the width goes to the LSTM instead;
// - LSTM(128, returnSequences) -> GlobalMaxPooling1D: the evidence (a quote, "<script", "../", an
//   odd parameter value) can sit anywhere in a URL or a request of hundreds of characters; the
//   max over the valid steps keeps a feature that fired anywhere, instead of asking the state to
//   carry it to the last character. On CSIC 2010 the last-state LSTM(128) learned slowly
//   (validation accuracy 0.81 after 6 epochs even with clipping) where the pooled one reached 0.91;
//   a Bidirectional(LSTM(64)) last state was no better (0.80), and the Bidirectional + pooling
//   variant (0.93) cost 1.8x the time per epoch;
// - Adam at 2e-3 with globalClipnorm 1: Adam's usual range for recurrent nets, a little above
//   Keras' 1e-3 because the batches are small (64); clipping the joint gradient norm is the
//   standard guard against the exploding gradients of long sequences (the loss jumps seen on
//   CSIC), and it leaves ordinary steps alone;
// - 10% of the training rows for validation; the learning rate halves when val_loss has not
//   improved for 2 epochs (ReduceLROnPlateau: late in training a fixed 2e-3 makes the loss jump
//   back up, seen on CSIC around epoch 20), and EarlyStopping on val_loss with patience 4 (one
//   reduction gets two epochs to pay off) restores the best epoch's weights, under a cap of 40
//   epochs (the phishing set needs about 20);
// - an OOV index, so a character never seen in training still counts as "something unusual"
//   instead of vanishing (Keras drops it).
import { Dense } from '../models/layers/dense.ts';
import { Embedding } from '../models/layers/embedding.ts';
import { LSTM } from '../models/layers/lstm.ts';
import { GlobalMaxPooling1D } from '../models/layers/pooling.ts';
import type { Recipe } from './run.ts';

export const defaultRecipe: Recipe = {
  describe:
    'Embedding(V, 32) -> LSTM(128, returnSequences) -> GlobalMaxPooling1D -> Dense(1, sigmoid); Adam 2e-3, globalClipnorm 1, batch 64, learning rate halved on a 2-epoch plateau, early stopping on 10% validation (patience 4, cap 40 epochs)',
  layers: (V) => [
    new Embedding(V, 32), new LSTM(128, { returnSequences: true }), new GlobalMaxPooling1D(), new Dense(1, { activation: 'sigmoid' }),
  ],
  optimizer: { name: 'adam', learningRate: 2e-3, globalClipnorm: 1 },
  epochs: 40,
  batchSize: 64,
  validationSplit: 0.1,
  reduceLrOnPlateau: { monitor: 'val_loss', factor: 0.5, patience: 2, minLr: 1e-5 },
  earlyStopping: { monitor: 'val_loss', patience: 4, restoreBestWeights: true },
  tokenizer: { oovToken: '<oov>' },
};
