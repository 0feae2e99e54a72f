/** Turning samples into figures, and figures into the Markdown table and the JSON file. */
import type { BenchCase, Role } from './cases.ts';
import type { Environment } from './env.ts';
import { median, type Sample } from './measure.ts';

/** One run of a variant: every invocation (one per input) run once, back to back. */
export interface RunFigures {
  wallSeconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  /**
   * CPU time other processes used meanwhile, as a share of the machine's capacity over the run
   * (machine-wide busy time from /proc/stat minus this row's own CPU time). Large values mean the
   * run shared the machine and its figures are disturbed.
   */
  backgroundShare?: number;
}

export interface VariantResult {
  id: string;
  role: Role;
  label: string;
  invocations: number;
  runs: RunFigures[];
  /** Set when the variant failed (wrong output, non-zero exit); it then has no figures. */
  error?: string;
  medianWallSeconds?: number;
  minWallSeconds?: number;
  maxWallSeconds?: number;
  medianCpuSeconds?: number;
  /** Largest peak RSS of any process in any run. */
  peakRssMiB?: number;
  /** Median share of the machine's CPU that other processes used during this row's runs. */
  medianBackgroundShare?: number;
  mbPerSecond?: number;
  /** Reference median wall / this median wall: this row's throughput relative to the reference. */
  ratio?: number;
}

export interface TargetResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CaseResult {
  id: string;
  title: string;
  basis: string;
  basisBytes: number;
  perProcess: boolean;
  notes: string[];
  variants: VariantResult[];
  targets: TargetResult[];
}

export interface BenchResult {
  environment: Environment;
  meter: string;
  fixture: {
    name: string;
    dir: string;
    layers: number;
    files: number;
    contentBytes: number;
    tarBytes: number;
    gzBytes: number | undefined;
  };
  runs: number;
  warmup: number;
  /** Longest wait for a quiet machine before each round (seconds; 0 = no waiting). */
  idleWait: number;
  /** Load average when the runs ended (the environment has the one at the start). */
  loadAverageEnd: number[];
  cases: CaseResult[];
}

export function combineRun(samples: Sample[]): RunFigures {
  return {
    wallSeconds: samples.reduce((s, x) => s + x.wallSeconds, 0),
    cpuSeconds: samples.reduce((s, x) => s + x.userSeconds + x.sysSeconds, 0),
    maxRssKiB: Math.max(...samples.map((x) => x.maxRssKiB)),
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function summarise(c: BenchCase, results: VariantResult[]): CaseResult {
  for (const v of results) {
    if (v.error || v.runs.length === 0) continue;
    const walls = v.runs.map((r) => r.wallSeconds);
    v.medianWallSeconds = round(median(walls), 4);
    v.minWallSeconds = round(Math.min(...walls), 4);
    v.maxWallSeconds = round(Math.max(...walls), 4);
    v.medianCpuSeconds = round(median(v.runs.map((r) => r.cpuSeconds)), 3);
    v.peakRssMiB = round(Math.max(...v.runs.map((r) => r.maxRssKiB)) / 1024, 1);
    const bg = v.runs.flatMap((r) => (r.backgroundShare === undefined ? [] : [r.backgroundShare]));
    if (bg.length > 0) v.medianBackgroundShare = round(median(bg), 3);
    if (!c.perProcess && c.basisBytes > 0)
      v.mbPerSecond = round(c.basisBytes / 1e6 / median(walls), 1);
  }
  const reference = results.find(
    (v) => v.role === 'reference' && v.medianWallSeconds !== undefined,
  );
  for (const v of results) {
    if (reference && v !== reference && v.medianWallSeconds) {
      v.ratio = round(reference.medianWallSeconds! / v.medianWallSeconds, 3);
    }
  }
  const targets: TargetResult[] = [];
  const shale = results.find((v) => v.role === 'shale');
  for (const t of c.targets ?? []) {
    const ref = results.find((v) => v.id === t.reference);
    const factor =
      shale?.medianWallSeconds !== undefined && ref?.medianWallSeconds
        ? shale.medianWallSeconds / ref.medianWallSeconds
        : undefined;
    targets.push({
      name: `${c.id}: shale wall <= ${t.maxTimeFactor}x ${ref?.label ?? t.reference}`,
      ok: factor !== undefined && factor <= t.maxTimeFactor,
      detail:
        factor === undefined
          ? 'not measured'
          : `${factor.toFixed(2)}x (${shale!.medianWallSeconds!.toFixed(2)} s vs ${ref!.medianWallSeconds!.toFixed(2)} s)`,
    });
  }
  if (c.target && shale) {
    const { minRatio, maxRssMiB } = c.target;
    if (minRatio !== undefined) {
      const ratio = shale.ratio;
      targets.push({
        name: `${c.id}: throughput >= ${minRatio}x ${reference?.label ?? 'reference'}`,
        ok: ratio !== undefined && ratio >= minRatio,
        detail: ratio === undefined ? 'not measured' : `${ratio.toFixed(2)}x`,
      });
    }
    if (maxRssMiB !== undefined) {
      const rss = shale.peakRssMiB;
      targets.push({
        name: `${c.id}: peak RSS < ${maxRssMiB} MiB`,
        ok: rss !== undefined && rss < maxRssMiB,
        detail: rss === undefined ? 'not measured' : `${rss.toFixed(1)} MiB`,
      });
    }
  }
  return {
    id: c.id,
    title: c.title,
    basis: c.basis,
    basisBytes: c.basisBytes,
    perProcess: c.perProcess ?? false,
    notes: c.notes,
    variants: results,
    targets,
  };
}

/** Background share above which the table is flagged as disturbed. */
const BUSY_THRESHOLD = 0.1;

const cell = (text: string) => text.replace(/\|/g, '\\|');
const fixed = (x: number | undefined, digits: number) =>
  x === undefined ? '—' : x.toFixed(digits);

function gb(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

export function markdown(result: BenchResult): string {
  const { environment: env, fixture } = result;
  const lines: string[] = [];
  lines.push(`## shale benchmarks — \`${fixture.name}\` fixture`, '');
  lines.push(
    `Fixture: ${fixture.layers} layers, ${fixture.files} files, ${gb(fixture.contentBytes)} of content → ` +
      `${gb(fixture.tarBytes)} of tar` +
      (fixture.gzBytes === undefined ? '' : `, ${gb(fixture.gzBytes)} gzip'd`) +
      '.',
  );
  lines.push(
    `Runs: median of ${result.runs} timed runs per row after ${result.warmup} warm-up run(s); ` +
      'rows alternate within each run; inputs in the page cache. ' +
      'A run = one process per layer, wall times summed.',
  );
  lines.push(`Meter: ${result.meter}.`);
  // Weighted by wall time: a 20 ms run's share is mostly clock-tick noise.
  const timed = result.cases.flatMap((c) => c.variants.flatMap((v) => v.runs));
  const wall = timed.reduce((sum, r) => sum + r.wallSeconds, 0);
  if (timed.some((r) => r.backgroundShare !== undefined) && wall > 0) {
    const share =
      timed.reduce((sum, r) => sum + (r.backgroundShare ?? 0) * r.wallSeconds, 0) / wall;
    const busyRuns = timed.filter((r) => (r.backgroundShare ?? 0) > 0.25 && r.wallSeconds > 0.5);
    lines.push(
      `Other processes used ${(share * 100).toFixed(1)}% of the machine's CPU during the timed runs ` +
        `(time-weighted; ${busyRuns.length} of ${timed.length} runs over 25%)` +
        (share > BUSY_THRESHOLD ? ' — **the machine was not idle: figures are disturbed**.' : '.'),
    );
  }
  lines.push(
    `Machine: ${env.machine.cpu}, ${env.machine.cores} cores, ${env.machine.memoryGiB} GiB, ` +
      `${env.machine.kernel}, SHA-NI ${env.machine.shaNi ? 'yes' : 'no'}, ` +
      `load average ${env.machine.loadAverage.join(' ')} at start, ` +
      `${result.loadAverageEnd.join(' ')} at the end; ${env.date}.`,
  );
  lines.push(
    `Versions: ${Object.entries(env.versions)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}.`,
  );
  lines.push('');
  lines.push(
    '| case | row | command | wall s (median) | min..max s | MB/s | ratio | CPU s | peak RSS MiB |',
  );
  lines.push('|---|---|---|--:|--:|--:|--:|--:|--:|');
  for (const c of result.cases) {
    for (const v of c.variants) {
      const role = v.role === 'shale' ? '**shale**' : v.role;
      const command = `\`${cell(v.label)}\`${v.invocations > 1 ? ` ×${v.invocations}` : ''}`;
      if (v.error) {
        lines.push(`| ${c.id} | ${role} | ${command} | failed: ${cell(v.error)} | | | | | |`);
        continue;
      }
      const wall = fixed(v.medianWallSeconds, 3);
      const range = `${fixed(v.minWallSeconds, 3)}..${fixed(v.maxWallSeconds, 3)}`;
      const mbs = c.perProcess ? '—' : fixed(v.mbPerSecond, 0);
      const ratio = v.role === 'reference' ? '1.00' : fixed(v.ratio, 2);
      const shownRatio = v.role === 'shale' ? `**${ratio}**` : ratio;
      lines.push(
        `| ${c.id} | ${role} | ${command} | ${wall} | ${range} | ${mbs} | ${shownRatio} | ` +
          `${fixed(v.medianCpuSeconds, 2)} | ${fixed(v.peakRssMiB, 1)} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    "ratio = reference median wall / row median wall (the row's throughput relative to the reference; " +
      '> 1 is faster). MB/s = uncompressed tar bytes / 10^6 / median wall. CPU s = user + sys of the ' +
      'command and its children (median). Peak RSS = largest single process over all runs.',
  );
  const targets = result.cases.flatMap((c) => c.targets);
  if (targets.length > 0) {
    lines.push('', 'Targets:', '');
    for (const t of targets) lines.push(`- ${t.ok ? 'PASS' : 'FAIL'} ${t.name}: ${t.detail}`);
  }
  const notes = result.cases.flatMap((c) => c.notes.map((n) => `${c.id}: ${n}`));
  if (notes.length > 0) {
    lines.push('', 'Notes:', '');
    for (const n of notes) lines.push(`- ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
