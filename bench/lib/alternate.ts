/**
 * Runs one case: its inputs read into the page cache, then rounds in which shale and every peer
 * run once each, shale first (shale, peer, shale, peer, …), the first `warmup` rounds untimed.
 * A side that fails (non-zero exit, wrong output) is recorded with the reason and left out of
 * later rounds; when shale fails the case stops.
 */
import { waitForIdle, type Meter, type Sample } from './measure.ts';
import { isMissing, type BenchCase, type Side } from './side.ts';
import { warmPageCache } from './workdir.ts';

export interface SideFigures {
  label: string;
  /** Why the peer could not run here. */
  missing?: string;
  /** Why the side failed. */
  error?: string;
  /** Per counted round: wall seconds (summed over the run's processes), CPU seconds, peak RSS. */
  walls: number[];
  cpuSeconds: number[];
  peakRssKiB: number[];
}

export interface CaseFigures {
  shale: SideFigures;
  peers: SideFigures[];
}

export interface RoundOptions {
  warmup: number;
  runs: number;
  /** Longest wait (s) for a quiet machine before each counted round; 0 = none. */
  idleWait: number;
  cores: number;
  log: (message: string) => void;
}

/** The most telling line of an error output: the first naming an error, else the first. */
function telling(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /error\b|^shale:/i.test(l)) ?? lines[0] ?? '').slice(0, 200);
}

/** One run of a side: untimed prepare, the timed processes, untimed finish (check + clean up). */
export async function runOnce(meter: Meter, side: Side): Promise<Sample[]> {
  await side.prepare?.();
  const samples: Sample[] = [];
  try {
    for (const argv of side.commands()) {
      const s = await meter.run(argv);
      if (s.exitCode !== 0)
        throw new Error(`exit ${s.exitCode}: ${telling(s.stderr) || telling(s.stdout)}`);
      samples.push(s);
    }
  } catch (err) {
    await side.finish?.(undefined);
    throw err;
  }
  const problem = await side.finish?.(samples);
  if (problem) throw new Error(problem);
  return samples;
}

const emptyFigures = (label: string): SideFigures => ({
  label,
  walls: [],
  cpuSeconds: [],
  peakRssKiB: [],
});

export async function runAlternately(
  meter: Meter,
  c: BenchCase,
  o: RoundOptions,
): Promise<CaseFigures> {
  warmPageCache(c.inputs);
  const shale = { side: c.shale, figures: emptyFigures(c.shale.label) };
  const peers = c.peers.map((p) => ({
    side: isMissing(p) ? undefined : p,
    figures: isMissing(p)
      ? { ...emptyFigures(p.label), missing: p.missing }
      : emptyFigures(p.label),
  }));
  const sides = [shale, ...peers];
  for (let round = 0; round < o.warmup + o.runs && !shale.figures.error; round++) {
    const counted = round >= o.warmup;
    if (counted && o.idleWait > 0) await waitForIdle(o.idleWait, o.cores);
    const progress: string[] = [];
    for (const { side, figures } of sides) {
      if (!side || figures.error || shale.figures.error) continue;
      try {
        const samples = await runOnce(meter, side);
        const wall = samples.reduce((s, x) => s + x.wallSeconds, 0);
        progress.push(`${wall.toFixed(2)}s`);
        if (!counted) continue;
        figures.walls.push(wall);
        figures.cpuSeconds.push(samples.reduce((s, x) => s + x.userSeconds + x.sysSeconds, 0));
        figures.peakRssKiB.push(Math.max(...samples.map((x) => x.maxRssKiB)));
      } catch (err) {
        figures.error = err instanceof Error ? err.message : String(err);
        o.log(`${c.fixture}/${c.name}: ${figures.label}: FAILED: ${figures.error}`);
      }
    }
    o.log(
      `${c.fixture}/${c.name} ${counted ? `run ${round - o.warmup + 1}/${o.runs}` : 'warm-up'}: ${progress.join(' vs ')}`,
    );
  }
  return { shale: shale.figures, peers: peers.map((p) => p.figures) };
}
