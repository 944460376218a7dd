// vigil's side of the lstm suite: the same model as the peers (Embedding(64, 32) -> LSTM(64) ->
// last step -> Dense(1, sigmoid)) through the model layer users call (Sequential), async as they would
// call it: predict for inference, trainOnBatch (forward, BCE, backward, Adam) for a training step.
import { setNumThreads } from '../../ts/bindings/backend.ts';
import { Dense, Embedding, LSTM, Sequential, tensor } from '../../ts/index.ts';
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
  const model = new Sequential([new Embedding(VOCAB, EMBED), new LSTM(HIDDEN), new Dense(1, { activation: 'sigmoid' })], { seed: 1 });
  model.compile({ loss: 'binary_crossentropy', optimizer: 'adam' });
  const x = tensor(tokens, [opts.batch, opts.T]);
  const infer = await measure(() => model.predict(x, { batchSize: opts.batch }), opts.repeats);
  const train = await measure(() => model.trainOnBatch(x, labels), opts.repeats);
  return { infer: opts.batch / infer.seconds, train: opts.batch / train.seconds };
}
