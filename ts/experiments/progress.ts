// fit callbacks for watching a run: a cli-progress bar per epoch (shown only on a TTY; the library
// prints nothing to a pipe or file) and a one-line summary per epoch.
import cliProgress from 'cli-progress';
import type { Callback, EpochLogs } from '../models/callbacks.ts';

export interface Writer {
  write(text: string): unknown;
}

/** A progress bar over each epoch's batches, with the running mean loss. */
export function progressBar(batchesPerEpoch: number, epochs: number, stream: NodeJS.WriteStream = process.stderr): Callback {
  let bar: cliProgress.SingleBar | null = null;
  let epoch = 0;
  let inEpoch = 0;
  let sum = 0;
  let rows = 0;
  const start = () => {
    bar = new cliProgress.SingleBar(
      {
        stream,
        format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} batches | loss {loss} | eta {eta_formatted}`,
        clearOnComplete: true,
        hideCursor: null,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(batchesPerEpoch, 0, { loss: '-' });
  };
  return {
    onBatchEnd(_batch, logs) {
      if (!bar) start();
      sum += logs.loss * logs.size;
      rows += logs.size;
      inEpoch += 1;
      bar!.update(inEpoch, { loss: (sum / rows).toFixed(4) });
    },
    onEpochEnd() {
      bar?.stop();
      bar = null;
      epoch += 1;
      inEpoch = 0;
      sum = 0;
      rows = 0;
    },
    onTrainEnd() {
      bar?.stop();
      bar = null;
    },
  };
}

export function describeEpoch(epoch: number, logs: EpochLogs): string {
  const parts = [`epoch ${epoch + 1}`, `${logs.seconds.toFixed(1)} s`, `loss ${logs.loss.toFixed(4)}`];
  if (logs.metrics.accuracy !== undefined) parts.push(`acc ${logs.metrics.accuracy.toFixed(4)}`);
  if (logs.valLoss !== undefined) parts.push(`val_loss ${logs.valLoss.toFixed(4)}`);
  if (logs.valMetrics?.accuracy !== undefined) parts.push(`val_acc ${logs.valMetrics.accuracy.toFixed(4)}`);
  return parts.join(', ');
}

/** Writes one line per epoch. */
export function epochLines(out: Writer, prefix = '  '): Callback {
  return { onEpochEnd: (epoch, logs) => void out.write(`${prefix}${describeEpoch(epoch, logs)}\n`) };
}

/** What a streamed scoring run reports as it goes (models/stream/pipeline.ts StreamProgress). */
export interface ScoringProgress {
  rows: number;
  skipped: number;
  bytes: number;
}

/**
 * A progress bar over the bytes of an input being scored (`totalBytes`: its size on disk,
 * compressed when it is gzipped), with the rows scored and the rows per second so far.
 */
export function scoringBar(totalBytes: number, stream: NodeJS.WriteStream = process.stderr): { update(p: ScoringProgress): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'scoring [{bar}] {percentage}% | {rows} rows | {rate} rows/s{skipped} | eta {eta_formatted}',
      clearOnComplete: true,
      hideCursor: null,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  bar.start(Math.max(totalBytes, 1), 0, { rows: 0, rate: '-', skipped: '' });
  return {
    update(p) {
      const s = (performance.now() - t0) / 1000;
      bar.update(Math.min(p.bytes, totalBytes), {
        rows: p.rows.toLocaleString('en-US'),
        rate: s > 0 ? Math.round(p.rows / s).toLocaleString('en-US') : '-',
        skipped: p.skipped > 0 ? ` | ${p.skipped} skipped` : '',
      });
    },
    stop: () => bar.stop(),
  };
}
