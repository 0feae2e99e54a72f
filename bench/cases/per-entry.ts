/**
 * `per-entry-reader`, `per-entry-tarsum`, `per-entry-apply` (issue 19.1): what each of shale's
 * per-entry stages costs alone over the fixture's uncompressed layer tars, one process for all
 * layers on every side. shale's side is bench/lib/stage-runner.ts on the built library; it times
 * its stage inside the process, so each case's note gives µs per tar entry with start-up left out,
 * beside the peers' (C programs that start in ~1 ms: their wall). Entries are counted by
 * `tar -tf` (untimed); the reader and the applier must see exactly that many.
 *
 *   reader  readTar, every body drained   vs  cat (read floor); tar -xOf > /dev/null (GNU tar reading every body)
 *   tarsum  TarSum v1 of each tar         vs  sha256sum (hash floor)
 *   apply   applyLayerBlob into a fresh directory  vs  tar -xf into a fresh directory
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import type { BenchImage } from '../lib/image.ts';
import type { Sample } from '../lib/measure.ts';
import type { BenchCase, Side } from '../lib/side.ts';
import type { Stage, StageReport } from '../lib/stage-runner.ts';
import { median, pairedRatio } from '../lib/stats.ts';
import { countEntries, freshDir } from '../lib/workdir.ts';

const RUNNER = fileURLToPath(new URL('../lib/stage-runner.ts', import.meta.url));

/** Writes the runner as plain JavaScript to `script` (esbuild, untimed): node starts it without tsx. */
function writeRunnerScript(script: string): void {
  const ts = readFileSync(RUNNER, 'utf8');
  writeFileSync(script, transformSync(ts, { loader: 'ts', format: 'esm', target: 'node20' }).code);
}

/** Every run's seconds, warm-up included (a side's `finish` cannot tell a warm-up run apart). */
interface Timings {
  /** shale: inside the runner, and its wall (start-up included). */
  inProcess: number[];
  shaleWalls: number[];
  /** Per peer, in the peers' order. */
  peerWalls: number[][];
}

const entryCounts = new Map<string, number>();

/** The tars' entries as GNU tar lists them (once per tar). */
function entriesOf(tars: string[]): number {
  let total = 0;
  for (const tar of tars) {
    let n = entryCounts.get(tar);
    if (n === undefined) {
      const listing = execFileSync('tar', ['-tf', tar], { maxBuffer: 1 << 30 });
      n = listing.reduce((count, byte) => count + (byte === 0x0a ? 1 : 0), 0);
      entryCounts.set(tar, n);
    }
    total += n;
  }
  return total;
}

/** `sh -c SCRIPT` with the tars as "$@". */
const sh = (script: string, ...args: string[]) => ['sh', '-c', script, 'sh', ...args];

/** apply: the same tree on every side (entry count), then the output directory removed. */
function treeCheck(out: string) {
  let expected: number | undefined;
  return (samples: Sample[] | undefined): string | undefined => {
    let problem: string | undefined;
    if (samples) {
      const n = existsSync(out) ? countEntries(out) : 0;
      expected ??= n;
      if (n !== expected) problem = `${n} entries where another side extracted ${expected}`;
    }
    rmSync(out, { recursive: true, force: true });
    return problem;
  };
}

interface StageSides {
  peers: Side[];
  /** apply: the output directory, fresh for every run, and its check. */
  out?: string;
  checkTree?: (samples: Sample[] | undefined) => string | undefined;
}

function peersOf(stage: Stage, image: BenchImage): StageSides {
  const n = image.tars.length;
  if (stage === 'reader') {
    return {
      peers: [
        {
          label: `cat layer1..${n}.tar > /dev/null`,
          commands: () => [sh('cat -- "$@" >/dev/null', ...image.tars)],
        },
        {
          label: `tar -xOf layer1..${n}.tar > /dev/null (one sh loop)`,
          commands: () => [sh('for l; do tar -xOf "$l" || exit 1; done >/dev/null', ...image.tars)],
        },
      ],
    };
  }
  if (stage === 'tarsum') {
    const want = image.fixture.layers.map((l) => l.diffId.replace(/^sha256:/, ''));
    return {
      peers: [
        {
          label: `sha256sum layer1..${n}.tar`,
          commands: () => [['sha256sum', ...image.tars]],
          finish: (samples) =>
            samples && want.some((hex) => !samples[0]!.stdout.includes(hex))
              ? 'wrong digest printed'
              : undefined,
        },
      ],
    };
  }
  const out = path.join(image.work, 'per-entry-apply');
  const checkTree = treeCheck(out);
  return {
    out,
    checkTree,
    peers: [
      {
        label: `tar -xf layer1..${n}.tar (one sh loop)`,
        prepare: () => freshDir(out),
        commands: () => [
          ['sh', '-c', 'for l; do tar -C "$0" -xf "$l" || exit 1; done', out, ...image.tars],
        ],
        finish: checkTree,
      },
    ],
  };
}

/** The runner's report, checked against the tars: entry counts, one TarSum line per tar. */
function checkReport(
  stdout: string,
  stage: Stage,
  tars: number,
  entries: number,
): StageReport | string {
  let report: StageReport;
  try {
    report = JSON.parse(stdout) as StageReport;
  } catch {
    return `stage-runner printed no report: ${stdout.slice(0, 200)}`;
  }
  if (stage === 'tarsum') {
    const sums = report.sums ?? [];
    if (sums.length !== tars || sums.some((s) => !/^tarsum\.v1\+sha256:[0-9a-f]{64}$/.test(s)))
      return 'not one tarsum.v1+sha256 line per layer';
  } else if (report.entries !== entries) {
    return `${report.entries} entries where tar -tf lists ${entries}`;
  }
  return report;
}

const micro = (seconds: number, entries: number) => ((seconds / entries) * 1e6).toFixed(2);

/** The case's note: µs/entry of shale's stage in-process and of each peer, from every run. */
function note(c: BenchCase, what: string, entries: number | undefined, t: Timings): string[] {
  if (entries === undefined || t.inProcess.length === 0) return [];
  const inside = median(t.inProcess);
  const startUp = median(t.shaleWalls) - inside;
  const peers = c.peers.map((peer, i) => {
    const walls = t.peerWalls[i] ?? [];
    if (walls.length === 0) return `${peer.label}: no run`;
    const ratio = pairedRatio(t.inProcess, walls);
    return `\`${peer.label}\` ${micro(median(walls), entries)} µs/entry (in-process ratio ${ratio.toFixed(2)})`;
  });
  return [
    `${c.fixture}, ${entries.toLocaleString('en')} entries: ${what} **${micro(inside, entries)} µs/entry**, ` +
      `${(c.basisBytes / 1e6 / inside).toFixed(0)} MB/s in-process (the runner's start-up, ` +
      `${startUp.toFixed(2)} s of node and the library's import, left out; it is in the row's wall); ` +
      `${peers.join('; ')}. Medians over every run, warm-up included; peers' µs from their wall.`,
  ];
}

const STAGE_TEXT: Record<Stage, { title: string; what: string }> = {
  reader: {
    title: 'tar reader alone: readTar over each layer tar, every body drained',
    what: 'readTar',
  },
  tarsum: { title: 'TarSum alone: TarSum v1 of each layer tar', what: 'TarSum' },
  apply: {
    title: 'applier alone: applyLayerBlob of each layer tar into a fresh directory',
    what: 'applier',
  },
};

function perEntryCase(stage: Stage) {
  return (image: BenchImage): BenchCase => {
    const [, cli] = image.shale();
    const library = path.join(path.dirname(cli!), '..', 'archive', 'index.js');
    const { peers, out, checkTree } = peersOf(stage, image);
    const timings: Timings = { inProcess: [], shaleWalls: [], peerWalls: peers.map(() => []) };
    let entries: number | undefined;
    const script = path.join(image.work, 'stage-runner.mjs');
    const shale: Side = {
      label: `stage-runner --stage ${stage} layer1..${image.tars.length}.tar (dist/ library, one process)`,
      ...(out && { prepare: () => freshDir(out) }),
      commands: () => [
        [
          process.execPath,
          ...[script, '--library', library, '--stage', stage],
          ...(out ? ['--into', out] : []),
          ...image.tars,
        ],
      ],
      finish: (samples) => {
        const problem = checkTree?.(samples);
        if (!samples || problem) return problem;
        const report = checkReport(samples[0]!.stdout, stage, image.tars.length, entries!);
        if (typeof report === 'string') return report;
        timings.inProcess.push(report.seconds);
        timings.shaleWalls.push(samples[0]!.wallSeconds);
      },
    };
    const c: BenchCase = {
      name: `per-entry-${stage}`,
      fixture: image.name,
      title: STAGE_TEXT[stage].title,
      basis: 'tar',
      basisBytes: image.tarBytes,
      inputs: image.tars,
      setup: () => {
        writeRunnerScript(script);
        entries = entriesOf(image.tars);
      },
      shale,
      peers: peers.map((peer, i) => ({
        ...peer,
        finish: async (samples: Sample[] | undefined) => {
          const problem = await peer.finish?.(samples);
          if (samples && !problem)
            timings.peerWalls[i]!.push(samples.reduce((s, x) => s + x.wallSeconds, 0));
          return problem;
        },
      })),
      get notes() {
        return note(c, STAGE_TEXT[stage].what, entries, timings);
      },
    };
    return c;
  };
}

/** The three cases by name, for bench/cases/index.ts. */
export const PER_ENTRY_CASES = {
  'per-entry-reader': perEntryCase('reader'),
  'per-entry-tarsum': perEntryCase('tarsum'),
  'per-entry-apply': perEntryCase('apply'),
};
