// @tensorflow/tfjs peer of the conv1d suite on its pure-JS `cpu` backend: the same TCN stack as
// vigil (bench/suites/conv1d.ts) from tf ops. Forward: tf.conv1d with its `dilation` argument on the
// input padded on the left by (k - 1) * d (tfjs has no 'causal' padding). Training: tfjs 4.22 has no
// gradient for dilated convolutions ("dilation rates greater than 1 are not yet supported in
// gradients"), so each layer is the same convolution written as TensorFlow itself runs atrous
// convolutions: the padded sequence split into its d phases (reshape + transpose, "space to batch"),
// an undilated conv1d, and the phases interleaved back; forward + backward of sum(y * g) through
// tf.grads. Being ~1000x slower than the others, it runs on the first sequences of the same data.
import { median } from '../harness.ts';

type Tf = typeof import('@tensorflow/tfjs');
type Tensor = import('@tensorflow/tfjs').Tensor;
type Tensor3D = import('@tensorflow/tfjs').Tensor3D;

export interface TcnConfig {
  time: number;
  inChannels: number;
  filters: number;
  kernelSize: number;
  dilations: number[];
}

export interface TfjsTcnPlan {
  /** Sequences (the first rows of the shared data) per forward call and per training call. */
  forwardBatch: number;
  trainBatch: number;
  /** Timed repeats after a warm-up on one sequence. */
  repeats: number;
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Sequences per second forward and for forward + backward, and the forward output of the first `forwardBatch` sequences. */
export async function measureTfjsTcn(
  tf: Tf, cfg: TcnConfig, data: { x: Float32Array; W: Float32Array[]; b: Float32Array[]; g: Float32Array }, plan: TfjsTcnPlan,
): Promise<{ forward: number; train: number; y: Float32Array }> {
  const { time: T, inChannels: C, filters: Fo, kernelSize: K, dilations } = cfg;
  // vigil's W [out, in, k] is tfjs' filter [k, in, out] transposed.
  const filters = dilations.map((_, l) => tf.tensor3d(data.W[l], [Fo, l === 0 ? C : Fo, K]).transpose([2, 1, 0]) as Tensor3D);
  const biases = data.b.map((b) => tf.tensor1d(b));
  const input = (n: number) => tf.tensor3d(data.x.subarray(0, n * T * C), [n, T, C]);
  const causalPad = (h: Tensor3D, d: number) => tf.pad(h, [[0, 0], [(K - 1) * d, 0], [0, 0]]);

  const forward = (x: Tensor3D): Tensor3D => {
    let h = x;
    dilations.forEach((d, l) => {
      h = tf.add(tf.conv1d(causalPad(h, d), filters[l], 1, 'valid', 'NWC', d), biases[l]);
      if (l < dilations.length - 1) h = tf.relu(h);
    });
    return h;
  };
  // The dilated convolution as d interleaved undilated ones (needs T divisible by d).
  const phased = (h: Tensor3D, W: Tensor3D, d: number): Tensor3D => {
    const [n, , c] = h.shape;
    const len = T / d + K - 1;
    const phases = causalPad(h, d).reshape([n, len, d, c]).transpose([0, 2, 1, 3]).reshape([n * d, len, c]) as Tensor3D;
    const y = tf.conv1d(phases, W, 1, 'valid');
    return y.reshape([n, d, T / d, Fo]).transpose([0, 2, 1, 3]).reshape([n, T, Fo]);
  };
  const trainLoss = (x: Tensor, g: Tensor, ...p: Tensor[]): Tensor => {
    let h = x as Tensor3D;
    dilations.forEach((d, l) => {
      h = tf.add(phased(h, p[l] as Tensor3D, d), p[dilations.length + l]);
      if (l < dilations.length - 1) h = tf.relu(h);
    });
    return tf.sum(tf.mul(h, g));
  };
  const train = (n: number) =>
    tf.tidy(() => {
      const g = tf.tensor3d(data.g.subarray(0, n * T * Fo), [n, T, Fo]);
      const grads = tf.grads((x: Tensor, ...p: Tensor[]) => trainLoss(x, g, ...p));
      for (const t of grads([input(n), ...filters, ...biases])) t.dataSync();
    });

  try {
    tf.tidy(() => forward(input(1)).dataSync());
    const tFwd: number[] = [];
    let y: Float32Array = new Float32Array(0);
    for (let r = 0; r < plan.repeats; r++) {
      const t0 = process.hrtime.bigint();
      y = tf.tidy(() => forward(input(plan.forwardBatch)).dataSync() as Float32Array);
      tFwd.push(seconds(t0));
    }
    train(1);
    const tTrain: number[] = [];
    for (let r = 0; r < plan.repeats; r++) {
      const t0 = process.hrtime.bigint();
      train(plan.trainBatch);
      tTrain.push(seconds(t0));
    }
    return { forward: plan.forwardBatch / median(tFwd), train: plan.trainBatch / median(tTrain), y };
  } finally {
    tf.dispose([...filters, ...biases]);
  }
}
