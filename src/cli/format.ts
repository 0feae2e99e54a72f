/** Output helpers: docker-style sizes (decimal, 3 significant digits), ages, tables, JSON. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** `4.26MB`, `512B`, as docker's go-units HumanSize. */
export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${UNITS[unit]}`;
}

/** `3 days ago`, `About an hour ago`, as docker prints ages. */
export function humanAge(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'N/A';
  const seconds = Math.max(0, (now - then) / 1000);
  const steps: [number, string][] = [
    [60 * 60 * 24 * 365, 'year'],
    [60 * 60 * 24 * 30, 'month'],
    [60 * 60 * 24 * 7, 'week'],
    [60 * 60 * 24, 'day'],
    [60 * 60, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of steps) {
    const n = Math.floor(seconds / size);
    if (n >= 2) return `${n} ${name}s ago`;
    if (n === 1) return name === 'hour' ? 'About an hour ago' : `1 ${name} ago`;
  }
  return 'Less than a minute ago';
}

/** Left-aligned columns separated by three spaces, like docker's tables. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
