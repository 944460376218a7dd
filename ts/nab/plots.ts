// Detection pictures: one SVG per NAB series, drawn by Vega (headless: view.toSVG(), no browser,
// no canvas). Top panel: the values, the labelled anomaly windows shaded, the probationary rows
// greyed, the rows the detector flags (score at or above the profile's corpus-wide threshold,
// after the probationary period) as red dots. Bottom panel: the score and the threshold.
//
// Vega is loaded on first use, so the rest of vigil does not pay for it; without it the call
// fails with an error that says which package to install. Long series are thinned for drawing
// to the min and max of each pixel column, so spikes stay visible and files stay small.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { knownOptions, optionNames } from '../models/options.ts';
import type { NabCorpus, NabSeries } from './corpus.ts';
import type { NabReport } from './score.ts';
import { probationaryLength } from './sweep.ts';

/** Plain JSON, as Vega reads it. */
export type VegaSpec = Record<string, unknown>;

export interface NabPlotOptions {
  /** Drawing width in pixels (default 900). */
  width?: number;
  /** The threshold at or above which a row is flagged. */
  threshold: number;
  /** A line under the title (e.g. the series' NAB result). */
  subtitle?: string;
  /** Share of rows NAB does not score (default 0.15). */
  probationPercent?: number;
}

const PLOT_OPTIONS = optionNames<NabPlotOptions>()(['width', 'threshold', 'subtitle', 'probationPercent']);

const VEGA = 'vega';

interface VegaModule {
  parse(spec: VegaSpec): unknown;
  View: new (runtime: unknown, opts: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void };
}

let vega: Promise<VegaModule> | null = null;

function loadVega(): Promise<VegaModule> {
  // A variable specifier: the type checker and bundlers leave the optional dependency alone.
  vega ??= (import(VEGA) as Promise<VegaModule>).catch((err) => {
    vega = null;
    throw new Error(`drawing needs the '${VEGA}' package (npm install ${VEGA}@6): ${(err as Error).message}`);
  });
  return vega;
}

/** Indices to draw: every row when few, else per pixel column its first, min, max and last rows. */
export function thinRows(values: ArrayLike<number>, columns: number): number[] {
  const n = values.length;
  if (n <= 4 * columns) return Array.from({ length: n }, (_, i) => i);
  const keep: number[] = [];
  for (let c = 0; c < columns; c++) {
    const a = Math.floor((c * n) / columns);
    const b = Math.floor(((c + 1) * n) / columns);
    let lo = a;
    let hi = a;
    for (let i = a; i < b; i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    for (const i of [a, lo, hi, b - 1].sort((x, y) => x - y)) if (keep[keep.length - 1] !== i) keep.push(i);
  }
  return keep;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The Vega spec of one series' picture (see the file comment). */
export function nabPlotSpec(series: NabSeries, scores: ArrayLike<number>, opts: NabPlotOptions): VegaSpec {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('nabPlotSpec: options { threshold } must be an object');
  knownOptions('nabPlotSpec', opts, PLOT_OPTIONS);
  const width = opts.width ?? 900;
  const n = series.values.length;
  if (scores.length !== n) throw new RangeError(`nabPlotSpec: ${series.key} has ${n} rows, scores has ${scores.length}`);
  if (typeof opts.threshold !== 'number' || !Number.isFinite(opts.threshold)) throw new RangeError('nabPlotSpec: threshold must be a finite number');
  const t = series.timestamps;
  const probation = Math.min(n, Math.ceil(probationaryLength(n, opts.probationPercent ?? 0.15)));
  const flags: Array<{ t: number; v: number }> = [];
  for (let i = probation; i < n; i++) if (scores[i] >= opts.threshold) flags.push({ t: t[i], v: round(series.values[i]) });
  const span = (a: number, b: number) => ({ start: t[a], end: t[Math.min(n - 1, b)] });
  const windows = series.windows.map((w) => span(w.start, w.end));
  const band = [...windows.map((w) => ({ ...w, kind: 'window' })), ...(probation > 0 ? [{ ...span(0, probation - 1), kind: 'probation' }] : [])];
  const values = thinRows(series.values, width).map((i) => ({ t: t[i], v: round(series.values[i]) }));
  const scoreRows = thinRows(scores, width).map((i) => ({ t: t[i], s: round(scores[i]) }));
  const bands = {
    type: 'rect', from: { data: 'bands' },
    encode: {
      enter: {
        x: { scale: 'x', field: 'start' }, x2: { scale: 'x', field: 'end' }, y: { value: 0 }, y2: { field: { group: 'height' } },
        fill: { scale: 'band', field: 'kind' }, opacity: { value: 0.3 },
      },
    },
  };
  const xAxis = (labels: boolean) => ({ orient: 'bottom', scale: 'x', labels, ticks: labels, title: labels ? 'time (UTC)' : null, labelFlush: true });
  return {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width,
    padding: 8,
    autosize: 'pad',
    background: 'white',
    title: {
      text: series.key,
      subtitle: [
        ...(opts.subtitle ? [opts.subtitle] : []),
        `orange: labelled anomaly windows; grey: probationary rows (not scored); red: ${flags.length} row${flags.length === 1 ? '' : 's'} flagged (score >= ${round(opts.threshold)})`,
      ],
      anchor: 'start',
    },
    data: [
      { name: 'values', values },
      { name: 'scores', values: scoreRows },
      { name: 'flags', values: flags },
      { name: 'bands', values: band },
    ],
    scales: [
      { name: 'x', type: 'utc', domain: [t[0], t[n - 1]], range: [0, width] },
      { name: 'band', type: 'ordinal', domain: ['window', 'probation'], range: ['#f5a623', '#9b9b9b'] },
    ],
    layout: { columns: 1, padding: 12, bounds: 'flush' },
    marks: [
      {
        type: 'group',
        encode: { enter: { width: { value: width }, height: { value: 220 } } },
        scales: [{ name: 'y', type: 'linear', domain: { data: 'values', field: 'v' }, range: [220, 0], nice: true, zero: false }],
        axes: [xAxis(false), { orient: 'left', scale: 'y', title: 'value', grid: true, gridOpacity: 0.3 }],
        marks: [
          bands,
          { type: 'line', from: { data: 'values' }, encode: { enter: { x: { scale: 'x', field: 't' }, y: { scale: 'y', field: 'v' }, stroke: { value: '#1f5fa8' }, strokeWidth: { value: 1 } } } },
          { type: 'symbol', from: { data: 'flags' }, encode: { enter: { x: { scale: 'x', field: 't' }, y: { scale: 'y', field: 'v' }, size: { value: 30 }, fill: { value: '#d0021b' } } } },
        ],
      },
      {
        type: 'group',
        encode: { enter: { width: { value: width }, height: { value: 110 } } },
        scales: [{ name: 'y', type: 'linear', domain: [0, 1], range: [110, 0] }],
        axes: [xAxis(true), { orient: 'left', scale: 'y', title: 'score', tickCount: 3, grid: true, gridOpacity: 0.3 }],
        marks: [
          bands,
          { type: 'line', from: { data: 'scores' }, encode: { enter: { x: { scale: 'x', field: 't' }, y: { scale: 'y', field: 's' }, stroke: { value: '#444' }, strokeWidth: { value: 1 } } } },
          {
            type: 'rule',
            encode: {
              enter: {
                x: { value: 0 }, x2: { value: width }, y: { scale: 'y', value: Math.min(1, Math.max(0, opts.threshold)) },
                stroke: { value: '#d0021b' }, strokeDash: { value: [4, 3] },
              },
            },
          },
        ],
      },
    ],
  };
}

/** Renders a Vega spec to an SVG document. */
export async function renderSvg(spec: VegaSpec): Promise<string> {
  const v = await loadVega();
  const view = new v.View(v.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function fileName(s: NabSeries): string {
  return `${s.category}__${s.name}.svg`;
}

/**
 * Writes `<category>__<series>.svg` per corpus series into `dir` (which must exist), flagged at
 * `profile`'s threshold of `report` (scoreNab on the same scores). Returns the files written.
 */
export async function writeNabPlots(dir: string, corpus: NabCorpus, scores: ReadonlyMap<string, ArrayLike<number>>, report: NabReport,
  profile = 'standard'): Promise<string[]> {
  const p = report.profiles[profile];
  if (!p) throw new RangeError(`writeNabPlots: the report has no profile ${JSON.stringify(profile)}`);
  const written: string[] = [];
  for (const [k, s] of corpus.series.entries()) {
    const sc = scores.get(s.key);
    if (!sc) throw new RangeError(`writeNabPlots: no scores for ${s.key}`);
    const r = p.series[k];
    const subtitle = `NAB ${profile}: raw ${r.raw.toFixed(3)}, windows detected ${r.windowsDetected}/${r.windows.length}, false positives ${r.fp}`;
    const svg = await renderSvg(nabPlotSpec(s, sc, { threshold: p.threshold, subtitle, probationPercent: report.probationPercent }));
    const path = join(dir, fileName(s));
    await writeFileAtomic(path, svg);
    written.push(path);
  }
  return written;
}
