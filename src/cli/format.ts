/**
 * Output helpers with docker's wording: sizes (go-units HumanSize, from present/), ages (go-units HumanDuration
 * + " ago"), times as Go prints them, and JSON. Docker's API carries creation times in whole
 * seconds, so every time here is Unix seconds.
 */

export { humanSize } from '../present/index.ts';

/** Go's zero time (0001-01-01 UTC) in Unix seconds: what docker reports for a missing date. */
export const GO_ZERO_TIME = -62135596800;

/** Unix seconds of an RFC 3339 time (rounded down, as Go's Unix()); Go's zero time if absent. */
export function unixSeconds(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? GO_ZERO_TIME : Math.floor(ms / 1000);
}

/** The longest Go time.Duration (int64 nanoseconds), in milliseconds: Sub() saturates there. */
const MAX_DURATION_MS = 9223372036854.775;

/** go-units HumanDuration: `Less than a second`, `About a minute`, `36 hours`, `13 months`. */
export function humanDuration(ms: number): string {
  const d = Math.min(ms, MAX_DURATION_MS);
  const seconds = Math.trunc(d / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(d / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(d / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 7 * 2) return `${days} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(days / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(days / 30)} months`;
  return `${Math.trunc(Math.trunc(d / 3_600_000) / 24 / 365)} years`;
}

/** Docker's CREATED column: `2 days ago` for a creation time in Unix seconds. */
export function createdSince(seconds: number, now = Date.now()): string {
  return `${humanDuration(now - seconds * 1000)} ago`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

interface LocalParts {
  date: string;
  time: string;
  /** `+0100` */
  offset: string;
  zone: string;
}

/** The local zone's abbreviation (`CEST`, `EDT`) when the platform knows one, as Go's tzdata. */
function zoneAbbreviation(at: Date): string | undefined {
  for (const locale of ['en-US', 'en-GB', 'en-IN']) {
    const name = new Intl.DateTimeFormat(locale, { timeZoneName: 'short' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value;
    if (name && /^[A-Z]{3,5}$/.test(name)) return name;
  }
  return undefined;
}

/** The local wall-clock parts of a Unix time, as Go's time.Local shows them. */
function localParts(seconds: number): LocalParts {
  const at = new Date(seconds * 1000);
  const offsetMinutes = -at.getTimezoneOffset();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${pad2(Math.trunc(abs / 60))}${pad2(abs % 60)}`;
  const local = new Date(at.getTime() + offsetMinutes * 60_000);
  const year = String(local.getUTCFullYear()).padStart(4, '0');
  const zone = zoneAbbreviation(at) ?? offset.replace(/00$/, '');
  return {
    date: `${year}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}`,
    time: `${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}`,
    offset,
    zone,
  };
}

/** Go's Time.String() of a Unix time in the local zone: `2024-05-01 10:00:00 +0000 UTC`. */
export function goTimeString(seconds: number): string {
  const { date, time, offset, zone } = localParts(seconds);
  return `${date} ${time} ${offset} ${zone}`;
}

/** Go's RFC 3339 of a Unix time in the local zone: `2024-05-01T10:00:00Z`, `…+01:00`. */
export function rfc3339Local(seconds: number): string {
  const { date, time, offset } = localParts(seconds);
  const zone = offset === '+0000' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  return `${date}T${time}${zone}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
