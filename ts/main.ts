// `npm start`: the main job. Runs the three char-level LSTM experiments on the bundled data with
// vigil's default configuration under a short epoch cap (early stopping may end them sooner), and
// prints each one's held-out metrics table. The whole job stays within about 10 minutes on 2 cores;
// `vigil eval <experiment>` runs the full epoch budget.
import { backend } from './bindings/backend.ts';
import { setDeviceLog } from './bindings/device.ts';
import { EXPERIMENTS, formatReport, runExperiment } from './experiments/index.ts';
import { epochLines } from './experiments/progress.ts';

/** Epoch cap per experiment: what fits the time budget (full runs: `vigil eval`). CSIC's early
 * stopping keeps an epoch near 16-20 of the default (7-10 s each); the other two converge sooner. */
const SHORT_EPOCHS: Record<string, number> = { 'phishing-lstm': 12, 'log-breach-lstm': 20, 'payload-lstm': 8 };

const b = backend();
const cuda = b.cuda ? b.devices.map((d) => `${d.name} (${d.computeCapability})`).join(', ') : `not used (${b.cudaUnavailableReason})`;
console.log(`vigil backend: CPU ${b.simd}, ${b.threads} threads; CUDA ${cuda}\n`);
// That line says where the models run: the models' own note on device 'auto' would repeat it.
setDeviceLog(null);

const started = performance.now();
for (const exp of Object.values(EXPERIMENTS)) {
  const epochs = SHORT_EPOCHS[exp.id] ?? 5;
  console.log(`${exp.id}: ${exp.title}, default protocol, at most ${epochs} epochs`);
  const report = await runExperiment(exp, { protocol: 'default', epochs, callbacks: [epochLines(process.stdout)] });
  console.log(`${formatReport(report)}\n`);
}
console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; full runs: npx vigil eval <experiment> [--protocol seed]`);
