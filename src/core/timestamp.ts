/**
 * Docker's time filters (`until=`, `since=`): a Go duration before `now` (`10m`, `1h30m`,
 * `1.5h`), an RFC 3339 date or time with or without a zone (`2024-05-01`, `2024-05-01T10:00`,
 * `2024-05-01T10:00:00.5Z`; no zone = local time), or a Unix timestamp (`1714557600`,
 * `1714557600.5`), as api/types/time GetTimestamp reads them. Resolves to ms since the epoch.
 */
import { ShaleError } from './errors.ts';

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`time.ParseDuration`) in ms, or undefined when `text` is not one. */
export function parseGoDuration(text: string): number | undefined {
  const match = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$/.exec(text);
  if (!match) return text === '0' ? 0 : undefined;
  let total = 0;
  for (const [, amount, unit] of match[2]!.matchAll(
    /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g,
  ))
    total += Number(amount) * DURATION_UNITS_MS[unit!]!;
  return match[1] === '-' ? -total : total;
}

const TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/;

/** An RFC 3339-like time in ms; without a zone it is local time. */
function parseTime(text: string): number | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const [y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((p) => Number(p ?? 0));
  const ms = Number(`0.${m[7] ?? '0'}`) * 1000;
  const zone = m[8];
  if (zone === undefined) return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (zone === 'Z' || zone === 'z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const offset = (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return utc - sign * offset;
}

/** The instant a Docker time filter value names, relative to `now` for durations. */
export function parseDockerTimestamp(text: string, now: number = Date.now()): number {
  if (text !== '0') {
    const duration = parseGoDuration(text);
    if (duration !== undefined) return now - duration;
  }
  const time = parseTime(text);
  if (time !== undefined && !Number.isNaN(time)) return time;
  if (!text.includes('-') && /^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  throw new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `failed to parse value as time or duration: "${text}"`,
  );
}
