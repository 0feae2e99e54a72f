/**
 * The result: one row per case and peer (shale median, peer median, paired ratio, shale's peak
 * RSS and throughput), the scaling series, and the Markdown table printed and written beside
 * the JSON.
 */
import type { CaseFigures, SideFigures } from './alternate.ts';
import type { Environment } from './env.ts';
import type { BenchCase, SkippedCase } from './side.ts';
import { median, pairedRatio } from './stats.ts';

export interface Row {
  case: string;
  fixture: string;
  shale: string;
  peer: string;
  /** Counted runs on each side. */
  runs: number;
  shaleSeconds?: number;
  peerSeconds?: number;
  /** Median over rounds of shale wall / peer wall; < 1: shale is faster. */
  ratio?: number;
  /** The same on CPU time (user + sys): steadier than wall on a busy machine, but blind to waits. */
  cpuRatio?: number;
  shalePeakRssMiB?: number;
  shaleMBps?: number;
  basis: 'tar' | 'gz' | '';
  /** Why the row has no ratio: a peer missing or failed, shale failed, the case skipped. */
  status?: string;
  shaleWalls: number[];
  peerWalls: number[];
}

export interface ScalingPoint {
  scale: number;
  fixture: string;
  files: number;
  tarBytes: number;
  gzBytes: number;
  /** Per operation (pull, unpack): median wall seconds and peak RSS over the runs. */
  ops: Record<string, { seconds: number; peakRssMiB: number } | { error: string }>;
}

export interface Report {
  title: string;
  mode: string;
  environment: Environment;
  meter: string;
  fixtures: string[];
  warmup: number;
  runs: number;
  rows: Row[];
  /** Show the CPU ratio column (when both sides are shale: a daemon's CPU is not the client's). */
  cpuColumn?: boolean;
  scaling?: { points: ScalingPoint[]; skipped?: string; runs: number };
  notes: string[];
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const mib = (kib: number[]) => round(Math.max(...kib) / 1024, 1);

export function rowsOf(c: BenchCase, f: CaseFigures): Row[] {
  const shaleSeconds = f.shale.walls.length ? median(f.shale.walls) : undefined;
  const status = (peer: SideFigures) =>
    f.shale.error
      ? `shale failed: ${f.shale.error}`
      : peer.missing
        ? `peer missing: ${peer.missing}`
        : peer.error
          ? `peer failed: ${peer.error}`
          : undefined;
  return f.peers.map((peer) => {
    const peerSeconds = peer.walls.length ? median(peer.walls) : undefined;
    const ratio = pairedRatio(f.shale.walls, peer.walls);
    const cpuRatio = pairedRatio(f.shale.cpuSeconds, peer.cpuSeconds);
    return {
      case: c.name,
      fixture: c.fixture,
      shale: c.shale.label,
      peer: peer.label,
      runs: f.shale.walls.length,
      shaleSeconds: shaleSeconds && round(shaleSeconds, 3),
      peerSeconds: peerSeconds && round(peerSeconds, 3),
      ratio: Number.isNaN(ratio) ? undefined : round(ratio, 3),
      cpuRatio: Number.isNaN(cpuRatio) ? undefined : round(cpuRatio, 3),
      shalePeakRssMiB: f.shale.peakRssKiB.length ? mib(f.shale.peakRssKiB) : undefined,
      shaleMBps: shaleSeconds ? round(c.basisBytes / 1e6 / shaleSeconds, 1) : undefined,
      basis: c.basis,
      status: status(peer),
      shaleWalls: f.shale.walls.map((w) => round(w, 3)),
      peerWalls: peer.walls.map((w) => round(w, 3)),
    };
  });
}

export function skippedRow(s: SkippedCase): Row {
  const none = { shale: '', peer: '', runs: 0, basis: '' as const, shaleWalls: [], peerWalls: [] };
  return { case: s.name, fixture: s.fixture, ...none, status: `skipped: ${s.skipped}` };
}

const cell = (text: string) => text.replace(/\|/g, '\\|');
const fixed = (x: number | undefined, digits: number) =>
  x === undefined ? '—' : x.toFixed(digits);
const gb = (bytes: number) =>
  bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;

function machineLine(env: Environment): string {
  const m = env.machine;
  return (
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, ` +
    `load average ${m.loadAverage.join(' ')} at start; ${env.date}.`
  );
}

function scalingTable(s: NonNullable<Report['scaling']>): string[] {
  const lines = ['', `### Scaling (shale alone, median of ${s.runs} run(s) after a warm-up)`, ''];
  if (s.skipped) return [...lines, `Skipped: ${s.skipped}`];
  const ops = [...new Set(s.points.flatMap((p) => Object.keys(p.ops)))];
  lines.push(
    `| scale | fixture | files | tar | ${ops.map((o) => `${o} s | ${o} s/GB | ${o} peak RSS MiB`).join(' | ')} |`,
    `|--:|---|--:|--:|${ops.map(() => '--:|--:|--:').join('|')}|`,
  );
  for (const p of s.points) {
    const cells = ops.map((o) => {
      const r = p.ops[o];
      if (!r) return '— | — | —';
      if ('error' in r) return `failed: ${cell(r.error)} | | `;
      return `${r.seconds.toFixed(2)} | ${(r.seconds / (p.tarBytes / 1e9)).toFixed(2)} | ${r.peakRssMiB.toFixed(1)}`;
    });
    lines.push(
      `| ${p.scale}x | ${p.fixture} | ${p.files} | ${gb(p.tarBytes)} | ${cells.join(' | ')} |`,
    );
  }
  lines.push(
    '',
    'Linear cost: s/GB stays the same from 1x to 4x; flat memory: peak RSS stays the same.',
  );
  return lines;
}

export function markdown(r: Report): string {
  const lines = [`## ${r.title}`, ''];
  lines.push(`Mode: ${r.mode}. Fixtures: ${r.fixtures.join('; ')}.`);
  lines.push(
    `Runs: ${r.warmup} warm-up round(s), then ${r.runs} counted rounds; in each round shale runs, ` +
      'then each peer (shale, peer, shale, peer, …). Inputs were read into the page cache first.',
  );
  lines.push(machineLine(r.environment));
  lines.push(
    `Versions: ${Object.entries(r.environment.versions)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}.`,
  );
  lines.push(`Meter: ${r.meter}.`, '');
  const cpu = (text: string) => (r.cpuColumn ? ` ${text} |` : '');
  lines.push(
    `| case | fixture | shale | peer | shale s | peer s | ratio |${cpu('CPU ratio')} shale peak RSS MiB | shale MB/s |`,
  );
  lines.push(`|---|---|---|---|--:|--:|--:|${cpu('--:')}--:|--:|`);
  for (const row of r.rows) {
    const head = `| ${row.case} | ${row.fixture} | \`${cell(row.shale)}\` | ${row.peer ? `\`${cell(row.peer)}\`` : ''}`;
    if (row.status && row.ratio === undefined) {
      const shaleCells = row.shaleSeconds === undefined ? '—' : fixed(row.shaleSeconds, 3);
      lines.push(
        `${head} | ${shaleCells} | ${cell(row.status)} | — |${cpu('—')} ${fixed(row.shalePeakRssMiB, 1)} | ${fixed(row.shaleMBps, 0)} |`,
      );
      continue;
    }
    lines.push(
      `${head} | ${fixed(row.shaleSeconds, 3)} | ${fixed(row.peerSeconds, 3)} | **${fixed(row.ratio, 2)}** |` +
        `${cpu(fixed(row.cpuRatio, 2))} ${fixed(row.shalePeakRssMiB, 1)} | ${fixed(row.shaleMBps, 0)} (${row.basis}) |`,
    );
  }
  lines.push(
    '',
    'ratio = shale wall / peer wall, computed for each alternating pair (same round), then the median: ' +
      '< 1 means shale is faster. Times are medians of wall clock, process start-up included. ' +
      "Peak RSS = largest single shale process (GNU time's %M). MB/s = the image's bytes / 10^6 / shale's " +
      'median: (tar) uncompressed layer tars, (gz) compressed blobs. Peers that are daemons (dockerd) do ' +
      'their work in the daemon: only wall time compares.' +
      (r.cpuColumn
        ? ' CPU ratio: the same paired median on CPU time (user + sys, GNU time), steadier than wall on a busy machine.'
        : ''),
  );
  if (r.scaling) lines.push(...scalingTable(r.scaling));
  if (r.notes.length) lines.push('', 'Notes:', '', ...r.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
