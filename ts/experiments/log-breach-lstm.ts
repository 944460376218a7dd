// log-breach-lstm (SEEDS.md), on CSIC 2010: is a web request an attack? Requests de-duplicated by
// (method, url) first (loadCsic), each the compact JSON {"method":…,"url":…}; stratified 75/25
// split with seed 42 by content group (a GET and a POST of the same path and parameters land on the
// same side: runExperiment splits by loadCsic's groups); pre-padded/truncated to 1024. The
// notebook's model 2: Embedding(vocab, 32) -> Dropout(0.5) -> LSTM(64, recurrent_dropout 0.5) ->
// Dropout(0.5) -> Dense(1, sigmoid), Adam, batch 128, 3 epochs, validation split 0.25.
import { loadCsicAsync } from '../models/datasets.ts';
import { Dense } from '../models/layers/dense.ts';
import { Dropout } from '../models/layers/dropout.ts';
import { Embedding } from '../models/layers/embedding.ts';
import { LSTM } from '../models/layers/lstm.ts';
import type { Experiment } from './run.ts';

export const logBreachLstm: Experiment = {
  id: 'log-breach-lstm',
  title: 'CSIC 2010 web requests (char-level LSTM)',
  maxlen: 1024,
  testSize: 0.25,
  stratify: true,
  splitSeed: 42,
  load: (path) => loadCsicAsync(path),
  seed: {
    describe:
      'Embedding(V, 32) -> Dropout(0.5) -> LSTM(64, recurrentDropout 0.5) -> Dropout(0.5) -> Dense(1, sigmoid); Adam, batch 128, 3 epochs, validation split 0.25',
    layers: (V) => [
      new Embedding(V, 32),
      new Dropout(0.5),
      new LSTM(64, { recurrentDropout: 0.5 }),
      new Dropout(0.5),
      new Dense(1, { activation: 'sigmoid' }),
    ],
    optimizer: 'adam',
    epochs: 3,
    batchSize: 128,
    validationSplit: 0.25,
  },
};
