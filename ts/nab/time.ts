// NAB's timestamps: `YYYY-MM-DD HH:MM:SS`, in the label files with `.ffffff` microseconds, never a
// zone. Both forms of one instant must read as the same number, since windows are matched to rows
// by exact time.

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Milliseconds since the epoch, reading the time as UTC; null when the text is not such a timestamp. */
export function parseNabTime(text: string): number | null {
  const m = STAMP.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && isLeap(y) ? 29 : MONTH_DAYS[mo - 1]) || h > 23 || mi > 59 || s > 59) return null;
  const ms = (daysFromCivil(y, mo, d) * 86400 + (h * 60 + mi) * 60 + s) * 1000;
  return m[7] === undefined ? ms : ms + Number(`0.${m[7]}`) * 1000;
}
