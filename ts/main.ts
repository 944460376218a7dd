// `npm start`: shows what the engine runs on and trains a small char-level LSTM classifier.
// Until the real-data experiments land, the job is a synthetic but learnable task: a sequence is
// positive when it contains the token pair (7, 9) somewhere, the kind of local pattern a URL or
// request classifier has to find. Sequences have random lengths, pre-padded as Keras pads them.
import { backend } from './bindings/backend.ts';
import { randomUniform } from './bindings/random.ts';
import { Dense, Embedding, LSTM, Sequential, tensor } from './index.ts';

const b = backend();
const cuda = b.cuda ? b.devices.map((d) => `${d.name} (${d.computeCapability})`).join(', ') : `not used (${b.cudaUnavailableReason})`;
console.log(`vigil backend: CPU ${b.simd}, ${b.threads} threads; CUDA ${cuda}`);

const V = 32, T = 40, n = 2048;
// Uniform draws from the engine's own Philox generator, consumed in order.
const draws = randomUniform(new Float32Array(n * (T + 4)), 42, 0);
let drawn = 0;
const next = () => draws[drawn++];

const tokens = new Int32Array(n * T);
const lengths = new Int32Array(n);
const labels = new Float32Array(n);
for (let i = 0; i < n; i++) {
  const len = 12 + Math.floor(next() * (T - 12));
  lengths[i] = len;
  const row = tokens.subarray(i * T + (T - len), (i + 1) * T); // pre-padding: valid steps at the end
  for (let t = 0; t < len; t++) row[t] = 1 + Math.floor(next() * (V - 1));
  // Remove accidental pairs, then plant one in half of the sequences.
  for (let t = 0; t + 1 < len; t++) if (row[t] === 7 && row[t + 1] === 9) row[t + 1] = 8;
  if (next() < 0.5) {
    const at = Math.floor(next() * (len - 1));
    row[at] = 7;
    row[at + 1] = 9;
    labels[i] = 1;
  }
}

const model = new Sequential([new Embedding(V, 16), new LSTM(32), new Dense(1, { activation: 'sigmoid' })], { seed: 1 });
model.compile({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learningRate: 0.01 }, metrics: ['accuracy'] });
model.build([T]);
console.log(model.summary());

const x = { tokens: tensor(tokens, [n, T]), lengths };
const history = await model.fit(x, labels, {
  epochs: 12,
  batchSize: 64,
  validationSplit: 0.2,
  seed: 7,
  callbacks: [
    {
      onEpochEnd: (epoch, logs) =>
        console.log(
          `epoch ${String(epoch + 1).padStart(2)}: loss ${logs.loss.toFixed(4)}, val_loss ${logs.valLoss?.toFixed(4)}, ` +
            `val_accuracy ${logs.valMetrics?.accuracy?.toFixed(3)}, ${((0.8 * n) / logs.seconds).toFixed(0)} seq/s`,
        ),
    },
  ],
});
const last = history.epochs[history.epochs.length - 1];
console.log(`done: validation accuracy ${last.valMetrics?.accuracy?.toFixed(3)} after ${history.epochs.length} epochs`);
