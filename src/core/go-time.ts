/**
 * `time.Time` as Go's encoding/json carries it: parsed with the RFC 3339 layout (a fraction of
 * any length is accepted and cut to nanoseconds; the offset is `Z` or `±hh:mm`) and printed with
 * RFC 3339 nanoseconds (fraction trimmed of trailing zeros, a zero offset printed as `Z`). Wall
 * clock fields are kept as written, which is what Go prints back for a parsed time.
 */
import { ShaleError } from './errors.ts';

export interface GoTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly nanosecond: number;
  /** Offset from UTC in minutes. */
  readonly offsetMinutes: number;
}

/** Go's zero time, `0001-01-01T00:00:00Z`. */
export const ZERO_TIME: GoTime = {
  year: 1,
  month: 1,
  day: 1,
  hour: 0,
  minute: 0,
  second: 0,
  nanosecond: 0,
  offsetMinutes: 0,
};

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parse an RFC 3339 time as Go's `time.Parse(time.RFC3339, …)` does; throws on bad input. */
export function parseGoTime(text: string): GoTime {
  const m = RFC3339.exec(text);
  const bad = (why: string): never => {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `invalid time ${JSON.stringify(text)}: ${why}`);
  };
  if (m === null) return bad('expected RFC 3339 (2006-01-02T15:04:05Z07:00)');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) bad('month out of range');
  if (day < 1 || day > daysInMonth(year, month)) bad('day out of range');
  if (hour > 23 || minute > 59 || second > 59) bad('clock out of range');
  const nanosecond = Number((m[7] ?? '').slice(0, 9).padEnd(9, '0'));
  const offset = m[8] === undefined ? 0 : Number(m[9]) * 60 + Number(m[10]);
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    nanosecond,
    offsetMinutes: m[8] === '-' ? -offset : offset,
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Print as Go's `time.RFC3339Nano`. */
export function formatGoTime(t: GoTime): string {
  let text = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
  if (t.nanosecond !== 0) text += `.${pad(t.nanosecond, 9).replace(/0+$/, '')}`;
  if (t.offsetMinutes === 0) return `${text}Z`;
  const abs = Math.abs(t.offsetMinutes);
  return `${text}${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A JavaScript date as Go's `time.RFC3339Nano` prints it (UTC; `…58.44Z`, not `…58.440Z`). */
export function formatGoDate(date: Date): string {
  return formatGoTime(parseGoTime(date.toISOString()));
}
