// vigil's side of the lstm suite; the lead fills it in once the LSTM and training kernels land.
//
// Contract with suites/lstm.ts:
// - model: Embedding(64, 32) -> LSTM(64) -> last step -> Dense(1, sigmoid) (sizes in ../data.ts);
// - data: `lstmData(opts.batch, opts.T)` from ../data.ts, the exact tokens and labels every peer gets;
// - threads: call `setVigilThreads(opts.threads)` from ../vigil.ts first;
// - timing: `measure(fn, opts.repeats)` from ../harness.ts (warm-up, then median of repeats);
// - infer: one forward pass over the batch; train: forward + backward + one Adam step (BCE loss);
// - return sequences per second: opts.batch / seconds for each, or null when vigil cannot run the model.

export interface VigilLstmOptions {
  T: number;
  batch: number;
  threads: number;
  repeats: number;
}

export async function measureVigilLstm(opts: VigilLstmOptions): Promise<{ infer: number; train: number } | null> {
  void opts;
  return null;
}
