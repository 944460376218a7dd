// payload-lstm (SEEDS.md): is an HTTP parameter value an attack (sqli, xss, path traversal,
// cmdi)? Stratified 75/25 split with seed 42, pre-padded/truncated to 256. The seed model:
// Embedding(vocab, 32) -> LSTM(64) -> Dense(1, sigmoid). SEEDS.md names no optimiser or epochs:
// the log-breach notebook's training (Adam, batch 128) stands in, with the phishing notebook's 10 epochs.
import { loadHttpParamsAsync } from '../models/datasets.ts';
import { Dense } from '../models/layers/dense.ts';
import { Embedding } from '../models/layers/embedding.ts';
import { LSTM } from '../models/layers/lstm.ts';
import type { Experiment } from './run.ts';

export const payloadLstm: Experiment = {
  id: 'payload-lstm',
  title: 'HttpParams payloads (char-level LSTM)',
  maxlen: 256,
  testSize: 0.25,
  stratify: true,
  splitSeed: 42,
  load: (path) => loadHttpParamsAsync(path),
  seed: {
    describe: 'Embedding(V, 32) -> LSTM(64) -> Dense(1, sigmoid); Adam, batch 128, 10 epochs',
    layers: (V) => [new Embedding(V, 32), new LSTM(64), new Dense(1, { activation: 'sigmoid' })],
    optimizer: 'adam',
    epochs: 10,
    batchSize: 128,
  },
};
