// Prints rows as tables: one line per (case, metric, impl) with a column per thread count and the best
// one, then the vigil/peer speed ratios per thread count and at each side's best thread count.
import { isThroughput, speedRatio, type Row } from './harness.ts';

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function table(header: string[], body: string[][], leftColumns: number): string {
  const width = header.map((h, c) => Math.max(h.length, ...body.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((s, c) => (c < leftColumns ? s.padEnd(width[c]) : s.padStart(width[c]))).join('  ').trimEnd();
  return [line(header), line(width.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

type Best = { value: number; threads: number };

function best(rows: Row[]): Best | null {
  let b: Best | null = null;
  for (const r of rows) {
    const better = b === null || (isThroughput(r.unit) ? r.value > b.value : r.value < b.value);
    if (better) b = { value: r.value, threads: r.threads };
  }
  return b;
}

function groups<K extends string>(rows: Row[], key: (r: Row) => K): Map<K, Row[]> {
  const m = new Map<K, Row[]>();
  for (const r of rows) {
    const k = key(r);
    const g = m.get(k);
    if (g) g.push(r);
    else m.set(k, [r]);
  }
  return m;
}

const implOrder = (impl: string) => (impl === 'vigil' ? '0' : '1' + impl);

function valuesTable(rows: Row[], threads: number[]): string {
  const body: string[][] = [];
  const byCase = groups(rows, (r) => `${r.case}\u0000${r.metric}\u0000${r.unit}`);
  for (const [key, caseRows] of byCase) {
    const [c, metric, unit] = key.split('\u0000');
    const impls = [...groups(caseRows, (r) => r.impl)].sort((a, b) => implOrder(a[0]).localeCompare(implOrder(b[0])));
    impls.forEach(([impl, rs], i) => {
      const cells = threads.map((t) => {
        const r = rs.find((x) => x.threads === t);
        return r ? fmt(r.value) : '-';
      });
      const b = best(rs);
      body.push([i === 0 ? c : '', i === 0 ? metric : '', i === 0 ? unit : '', impl, ...cells, b ? `${fmt(b.value)} (t=${b.threads})` : '-']);
    });
  }
  return table(['case', 'metric', 'unit', 'impl', ...threads.map((t) => `t=${t}`), 'best'], body, 4);
}

function ratioTable(rows: Row[], threads: number[]): string | null {
  const body: string[][] = [];
  for (const [key, caseRows] of groups(rows, (r) => `${r.case}\u0000${r.metric}`)) {
    const [c, metric] = key.split('\u0000');
    const vigil = caseRows.filter((r) => r.impl === 'vigil');
    if (vigil.length === 0) continue;
    const vBest = best(vigil)!;
    const peers = [...groups(caseRows.filter((r) => r.impl !== 'vigil'), (r) => r.impl)];
    peers.forEach(([impl, rs], i) => {
      const cells = threads.map((t) => {
        const v = vigil.find((x) => x.threads === t);
        const p = rs.find((x) => x.threads === t);
        return v && p ? fmt(speedRatio(v.unit, v.value, p.value)) : '-';
      });
      const pBest = best(rs)!;
      const bb = `${fmt(speedRatio(rs[0].unit, vBest.value, pBest.value))} (t=${vBest.threads} vs t=${pBest.threads})`;
      body.push([i === 0 ? c : '', i === 0 ? metric : '', impl, ...cells, bb]);
    });
  }
  if (body.length === 0) return null;
  return table(['case', 'metric', 'peer', ...threads.map((t) => `t=${t}`), 'best vs best'], body, 3);
}

/** Rows grouped by case, then metric, each in order of first appearance (suites add rows impl by impl). */
function ordered(rows: Row[]): Row[] {
  const first = (key: (r: Row) => string) => {
    const m = new Map<string, number>();
    rows.forEach((r) => m.has(key(r)) || m.set(key(r), m.size));
    return (r: Row) => m.get(key(r))!;
  };
  const caseIx = first((r) => r.case);
  const metricIx = first((r) => r.metric);
  return [...rows].sort((a, b) => caseIx(a) - caseIx(b) || metricIx(a) - metricIx(b));
}

export function printReport(rows: Row[], threads: number[]): void {
  const suites = [...groups(rows, (r) => r.suite)].sort((a, b) => (a[0] === 'machine' ? -1 : b[0] === 'machine' ? 1 : 0));
  for (const [suite, unordered] of suites) {
    const rs = ordered(unordered);
    const ts = [...new Set([...threads, ...rs.map((r) => r.threads)])].sort((a, b) => a - b);
    console.log(`\n== ${suite} ==`);
    console.log(valuesTable(rs, ts));
    if (suite === 'machine') continue;
    const ratios = ratioTable(rs, ts);
    console.log('\nvigil / peer speed (> 1: vigil faster)');
    console.log(ratios ?? '(no vigil rows to compare)');
  }
}
