// vigil's side of the lstm suite: the same model as the peers (Embedding(64, 32) -> LSTM(64) ->
// last step -> Dense(1, sigmoid)) through the model layer users call, async as they would call it.
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { LstmTextClassifier } from '../../ts/models/lstm_text_classifier.ts';
import { EMBED, HIDDEN, VOCAB, lstmData } from '../data.ts';
import { measure } from '../harness.ts';

export interface VigilLstmOptions {
  T: number;
  batch: number;
  threads: number;
  repeats: number;
}

/** Sequences per second for inference (one forward pass) and a training step (forward, BCE, backward, Adam). */
export async function measureVigilLstm(opts: VigilLstmOptions): Promise<{ infer: number; train: number }> {
  setNumThreads(opts.threads);
  const { tokens, labels } = lstmData(opts.batch, opts.T);
  const model = new LstmTextClassifier({ vocabSize: VOCAB, embeddingDim: EMBED, units: HIDDEN, seed: 1 });
  const batch = { tokens, batch: opts.batch, time: opts.T };
  const infer = await measure(() => model.predict(batch), opts.repeats);
  const train = await measure(() => model.trainStep(batch, labels), opts.repeats);
  return { infer: opts.batch / infer.seconds, train: opts.batch / train.seconds };
}
