// phishing-lstm (SEEDS.md): is a URL phishing? 67/33 split with seed 42 by page (trivial variants
// of a URL land on the same side: runExperiment splits by loadPhishing's groups), URLs truncated
// to 150 characters and pre-padded. The notebook's model: Embedding(vocab, 128) -> LSTM(32) ->
// Dropout(0.5) -> Dense(1, sigmoid), RMSprop, batch 128, 10 epochs.
import { loadPhishingAsync } from '../models/datasets.ts';
import { Dense } from '../models/layers/dense.ts';
import { Dropout } from '../models/layers/dropout.ts';
import { Embedding } from '../models/layers/embedding.ts';
import { LSTM } from '../models/layers/lstm.ts';
import type { Experiment } from './run.ts';

export const phishingLstm: Experiment = {
  id: 'phishing-lstm',
  title: 'phishing URLs (char-level LSTM)',
  maxlen: 150,
  testSize: 0.33,
  stratify: false,
  splitSeed: 42,
  load: (path) => loadPhishingAsync(path),
  seed: {
    describe: 'Embedding(V, 128) -> LSTM(32) -> Dropout(0.5) -> Dense(1, sigmoid); RMSprop, batch 128, 10 epochs',
    layers: (V) => [new Embedding(V, 128), new LSTM(32), new Dropout(0.5), new Dense(1, { activation: 'sigmoid' })],
    optimizer: 'rmsprop',
    epochs: 10,
    batchSize: 128,
  },
};
