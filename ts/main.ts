// `npm start`: shows what the engine runs on and trains a small char-level LSTM classifier.
// Until the real-data experiments land (next issue), the job is a synthetic but learnable task:
// a sequence is positive when it contains the token pair (7, 9) somewhere, the kind of local
// pattern a URL or request classifier has to find.
import { backend } from './bindings/backend.ts';
import { LstmTextClassifier } from './models/lstm_text_classifier.ts';
import { randomUniform } from './bindings/random.ts';

const b = backend();
console.log(`vigil backend: CPU ${b.simd}, ${b.threads} threads; CUDA ${b.cuda ? b.devices.map((d) => `${d.name} (${d.computeCapability})`).join(', ') : `not used (${b.cudaUnavailableReason})`}`);

const V = 32, T = 40, batch = 64, batches = 24;
// Uniform draws from the engine's own Philox generator, consumed in order.
const draws = randomUniform(new Float32Array(1 << 20), 42, 0);
let drawn = 0;
const next = () => draws[drawn++ % draws.length];
function makeBatch(): { tokens: Int32Array; labels: Float32Array } {
  const tokens = new Int32Array(batch * T);
  const labels = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    for (let t = 0; t < T; t++) tokens[i * T + t] = 1 + Math.floor(next() * (V - 1));
    // Remove accidental pairs, then plant one in half of the sequences.
    for (let t = 0; t + 1 < T; t++) if (tokens[i * T + t] === 7 && tokens[i * T + t + 1] === 9) tokens[i * T + t + 1] = 8;
    if (next() < 0.5) {
      const at = Math.floor(next() * (T - 1));
      tokens[i * T + at] = 7;
      tokens[i * T + at + 1] = 9;
      labels[i] = 1;
    }
  }
  return { tokens, labels };
}

const train = Array.from({ length: batches }, makeBatch);
const test = Array.from({ length: 4 }, makeBatch);
const model = new LstmTextClassifier({ vocabSize: V, embeddingDim: 16, units: 32, seed: 1, optimizer: { learningRate: 0.01 } });
console.log(`model: Embedding(${V}, 16) -> LSTM(32) -> Dense(1, sigmoid), ${model.parameterCount()} parameters`);

async function accuracy(): Promise<number> {
  let right = 0;
  for (const { tokens, labels } of test) {
    const p = await model.predict({ tokens, batch, time: T });
    p.forEach((v, i) => (right += Number((v >= 0.5) === (labels[i] === 1))));
  }
  return right / (test.length * batch);
}

const epochs = 12;
for (let epoch = 1; epoch <= epochs; epoch++) {
  const t0 = performance.now();
  let loss = 0;
  for (const { tokens, labels } of train) loss += await model.trainStep({ tokens, batch, time: T }, labels);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`epoch ${String(epoch).padStart(2)}: loss ${(loss / train.length).toFixed(4)}, test accuracy ${(await accuracy()).toFixed(3)}, ${((batches * batch) / seconds).toFixed(0)} seq/s`);
}
