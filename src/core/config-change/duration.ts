/**
 * Go's time.ParseDuration (`1m30s`, `1.5h`, `300ms`, `-2s`), for HEALTHCHECK intervals: a
 * sequence of decimal numbers each with a unit (ns, us, µs, ms, s, m, h); `0` alone is allowed.
 */

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/u;

/** Nanoseconds of `text`; throws Go's message when it is not a duration. */
export function parseGoDuration(text: string): number {
  const invalid = new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid;
  let total = 0;
  while (rest !== '') {
    const match = PART.exec(rest);
    if (!match) {
      if (/^(\d+(\.\d*)?|\.\d+)$/.test(rest))
        throw new Error(`time: missing unit in duration ${JSON.stringify(text)}`);
      throw invalid;
    }
    total += Number(match[1]) * UNITS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return sign * Math.round(total);
}
