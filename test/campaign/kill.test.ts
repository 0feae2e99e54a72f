// The crash campaign (issue 16): a seeded schedule of SIGKILLs across pull, copy into the store,
// load (docker-archive and OCI), import, commit, tag, rmi, prune and save — at a random time, or
// placed just before the N-th rename/unlink/rm/rmdir the command makes in its work directory
// (counted by the preload test/helpers/campaign-kill-hook.mjs). Each kill runs in a fresh copy of
// one seeded store; after it: `fsck` clean (or `fsck --repair`, then clean, without losing any
// image listed before the kill), `images` works, the interrupted command succeeds when run again,
// and once every image is removed `prune --all` leaves nothing behind. Every fault is collected
// with its kill's recipe and reported at the end with the seed and the replay line.
//
//   SHALE_CAMPAIGN_SEED=N     the schedule (printed on failure; random otherwise)
//   SHALE_CAMPAIGN_ROUNDS=K   K × 12 kills (default 1)
//   SHALE_CAMPAIGN_ONLY=I     run only kill #I of the schedule
//   SHALE_CAMPAIGN_SWEEP=CMD  instead: a kill before every rename/unlink of CMD (pull, copy-store,
//                             load-docker, load-oci, import, commit, tag, rmi, prune, save)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  publishCampaignImages,
  rootfsTar,
  type CampaignImages,
} from '../helpers/campaign-images.ts';
import { commandLine, outcome, runCli, type CliResult } from '../helpers/campaign-run.ts';
import { faultReport, startCampaign } from '../helpers/campaign-seed.ts';
import {
  fsckCanRepair,
  fsckVerdict,
  garbageAfterEmptying,
  listImages,
  lostImages,
  type ListedImage,
} from '../helpers/campaign-store.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';

const FILE = 'test/campaign/kill.test.ts';
const KILLS = 12;
const campaign = startCampaign();

/** One kill's directory: a copy of the seeded store, and room for the command's outputs. */
interface Round {
  dir: string;
  root: string;
  tree: string;
  out: string;
}

interface Scenario {
  name: string;
  /** Run before the command, not killed. */
  prepare?: (round: Round) => Promise<void>;
  args: (round: Round) => string[];
  /** A reference listed after a successful run. */
  expect?: string;
  /** Images the command removes (they may be gone after the kill). */
  mayGo?: (image: ListedImage) => boolean;
  /** A re-run that fails is still right when this holds (rmi of an image already gone). */
  doneAnyway?: (after: ListedImage[]) => boolean;
}

let registry: TestRegistry;
let work: string;
let seedStore: string;
let images: CampaignImages;
const inputs = { dockerArchive: '', ociArchive: '', rootfs: '' };

function shaleOk(args: string[]): Promise<CliResult> {
  return runCli(args).then((r) => {
    assert.equal(r.status, 0, outcome(r));
    return r;
  });
}

const scenarios: Scenario[] = [
  { name: 'pull', args: (r) => ['--root', r.root, 'pull', images.a], expect: '' },
  {
    name: 'copy-store',
    args: (r) => ['--root', r.root, 'copy', `docker://${images.a}`, 'store:campaign/copied:1'],
    expect: 'campaign/copied:1',
  },
  {
    name: 'load-docker',
    args: (r) => ['--root', r.root, 'load', '-i', inputs.dockerArchive],
  },
  { name: 'load-oci', args: (r) => ['--root', r.root, 'load', '-i', inputs.ociArchive] },
  {
    name: 'import',
    args: (r) => ['--root', r.root, 'import', inputs.rootfs, 'campaign/new:1'],
    expect: 'campaign/new:1',
  },
  {
    name: 'commit',
    prepare: async (r) => {
      await shaleOk(['--root', r.root, 'checkout', 'campaign/imported:1', r.tree]);
      appendFileSync(path.join(r.tree, 'etc', 'passwd'), 'campaign:x:1000:1000::/:/bin/sh\n');
    },
    args: (r) => ['--root', r.root, 'commit', r.tree, 'campaign/committed:1'],
    expect: 'campaign/committed:1',
  },
  {
    name: 'tag',
    args: (r) => ['--root', r.root, 'tag', images.base, 'campaign/tagged:1'],
    expect: 'campaign/tagged:1',
  },
  {
    name: 'rmi',
    args: (r) => ['--root', r.root, 'rmi', images.base],
    mayGo: (i) => i.ref === images.base,
    doneAnyway: (listed) => !listed.some((i) => i.ref === images.base),
  },
  {
    name: 'prune',
    args: (r) => ['--root', r.root, 'prune', '--all'],
    mayGo: (i) => i.ref === '<none>:<none>',
  },
  { name: 'save', args: (r) => ['--root', r.root, 'save', images.base, '-o', r.out] },
];

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'shale-kill-'));
  registry = await startRegistry();
  images = await publishCampaignImages(path.join(work, 'fixtures'), registry.host);
  scenarios.find((s) => s.name === 'pull')!.expect = images.a;
  for (const s of scenarios.filter((s) => s.name.startsWith('load-'))) s.expect = images.b;
  const tars = path.join(work, 'rootfs');
  const [imported, old, dangling] = await Promise.all(
    [21, 22, 23, 24].map((seed) => rootfsTar(tars, `rootfs${seed}`, seed)),
  ).then((list) => {
    inputs.rootfs = list[3]!;
    return list;
  });
  // The seeded store: a pulled image, an imported one, and an untagged one (for prune).
  seedStore = path.join(work, 'seed');
  await shaleOk(['--root', seedStore, 'pull', '-q', images.base]);
  await shaleOk(['--root', seedStore, 'import', imported!, 'campaign/imported:1']);
  await shaleOk(['--root', seedStore, 'import', old!, 'campaign/dangling:1']);
  await shaleOk(['--root', seedStore, 'import', dangling!, 'campaign/dangling:1']);
  // The archives to load: image b (not in the seeded store) saved by shale in both formats.
  const other = path.join(work, 'archives');
  inputs.dockerArchive = path.join(other, 'b-docker.tar');
  inputs.ociArchive = path.join(other, 'b-oci.tar');
  await shaleOk(['--root', other, 'pull', '-q', images.b]);
  await shaleOk(['--root', other, 'save', images.b, '-o', inputs.dockerArchive]);
  await shaleOk(['--root', other, 'save', '--format', 'oci', images.b, '-o', inputs.ociArchive]);
});

after(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

let roundNumber = 0;

function newRound(): Round {
  const dir = path.join(work, `round-${++roundNumber}`);
  const root = path.join(dir, 'store');
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('cp', ['-a', seedStore, root]);
  return { dir, root, tree: path.join(dir, 'tree'), out: path.join(dir, 'out.tar') };
}

interface Baseline {
  /** Renames/unlinks the command makes in its round directory. */
  calls: number;
  ms: number;
}

const baselines = new Map<string, Baseline | string>();

/** The command run once whole, counting its renames/unlinks; or the fault that it fails. */
async function baseline(scenario: Scenario): Promise<Baseline | string> {
  const known = baselines.get(scenario.name);
  if (known !== undefined) return known;
  const round = newRound();
  await scenario.prepare?.(round);
  const countFile = path.join(round.dir, 'count');
  const r = await runCli(scenario.args(round), {
    hook: true,
    env: { SHALE_KILL_PATHS: round.dir, SHALE_KILL_COUNT_FILE: countFile },
  });
  const result =
    r.status === 0
      ? { calls: Number(readFileSync(countFile, 'utf8')), ms: r.ms }
      : `\`${scenario.name}\` fails without any kill: ${outcome(r)}`;
  baselines.set(scenario.name, result);
  rmSync(round.dir, { recursive: true, force: true });
  return result;
}

interface Kill {
  scenario: Scenario;
  mode: 'placed' | 'random';
  /** Where in the run: the fraction of its renames/unlinks, or of its duration. */
  at: number;
  /** A placed kill's exact call number (sweeps). */
  call?: number;
}

function schedule(): Kill[] {
  const sweep = process.env.SHALE_CAMPAIGN_SWEEP;
  if (sweep !== undefined && sweep !== '') {
    const scenario = scenarios.find((s) => s.name === sweep);
    if (!scenario) throw new Error(`$SHALE_CAMPAIGN_SWEEP: no scenario ${sweep}`);
    // the number of calls is known only once the baseline ran: the sweep is expanded then
    return [{ scenario, mode: 'placed', at: 0, call: -1 }];
  }
  const kills: Kill[] = [];
  const modes = new Map<string, Kill['mode']>();
  const rng = campaign.rng;
  while (kills.length < KILLS * campaign.scale) {
    const order = [...scenarios];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const scenario of order) {
      const last = modes.get(scenario.name);
      const mode =
        last === undefined
          ? rng.below(2) === 0
            ? 'placed'
            : 'random'
          : last === 'placed'
            ? 'random'
            : 'placed';
      modes.set(scenario.name, mode);
      kills.push({ scenario, mode, at: rng.float() });
    }
  }
  return kills.slice(0, KILLS * campaign.scale);
}

/** Runs one kill and every check after it; returns the faults, each with the kill's recipe. */
async function runKill(number: number, kill: Kill, base: Baseline): Promise<string[]> {
  const { scenario } = kill;
  const round = newRound();
  await scenario.prepare?.(round);
  const args = scenario.args(round);
  const note = path.join(round.dir, 'kill-note');
  const call = kill.call ?? 1 + Math.floor(kill.at * base.calls);
  const delay = Math.round(kill.at * base.ms);
  let where =
    kill.mode === 'placed'
      ? `before rename/unlink #${call} of ${base.calls}`
      : `at ${delay} ms (a whole run takes ~${Math.round(base.ms)} ms)`;
  const faults: string[] = [];
  const fault = (what: string) =>
    faults.push(`kill #${number} \`${commandLine(args)}\` ${where}: ${what}`);

  const listed = await listImages(round.root);
  if (typeof listed === 'string') return [`kill #${number}: before the kill, ${listed}`];
  const run = await runCli(args, {
    hook: true,
    timeoutMs: 60_000,
    env: {
      SHALE_KILL_PATHS: round.dir,
      SHALE_KILL_NOTE: note,
      ...(kill.mode === 'placed' ? { SHALE_KILL_BEFORE: String(call) } : {}),
    },
    ...(kill.mode === 'random' ? { killAfterMs: delay } : {}),
  });
  if (existsSync(note)) where += ` (${readFileSync(note, 'utf8').trim()})`;
  if (!run.killed) where += ' (it ended before the kill)';
  if (!run.killed && run.status !== 0) fault(`fails without being killed: ${outcome(run)}`);

  const fsck = await fsckVerdict(round.root, true);
  for (const f of fsck.faults) fault(f);
  const afterKill = await listImages(round.root);
  if (typeof afterKill === 'string') fault(afterKill);
  else
    for (const lost of lostImages(listed, afterKill, scenario.mayGo ?? (() => false))) fault(lost);

  const rerun = await runCli(args, { timeoutMs: 60_000 });
  const afterRerun = await listImages(round.root);
  if (typeof afterRerun === 'string') fault(`after the re-run, ${afterRerun}`);
  if (rerun.status !== 0) {
    const fine = typeof afterRerun !== 'string' && scenario.doneAnyway?.(afterRerun) === true;
    if (!fine) fault(`the re-run fails: ${outcome(rerun)}`);
  } else if (
    scenario.expect !== undefined &&
    typeof afterRerun !== 'string' &&
    !afterRerun.some((i) => i.ref === scenario.expect)
  ) {
    fault(`the re-run exits 0 but ${scenario.expect} is not listed`);
  }
  if (!fsck.unrepairable) {
    const again = await fsckVerdict(round.root, false);
    for (const f of again.faults) fault(`after the re-run, ${f}`);
  }
  for (const f of await garbageAfterEmptying(round.root)) fault(f);
  if (faults.length === 0) rmSync(round.dir, { recursive: true, force: true });
  return faults;
}

/** Runs `fn` over `items`, two at a time (the machine has two cores). */
async function twoAtATime<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all([worker(), worker()]);
}

test(
  process.env.SHALE_CAMPAIGN_SWEEP
    ? `kill campaign: a kill before every rename/unlink of ${process.env.SHALE_CAMPAIGN_SWEEP}`
    : `kill campaign: ${KILLS * campaign.scale} SIGKILLs (seed ${campaign.seed})`,
  { timeout: 900_000, concurrency: 2 },
  async (t) => {
    const only = process.env.SHALE_CAMPAIGN_ONLY;
    const planned = schedule();
    await twoAtATime([...new Set(planned.map((k) => k.scenario))], baseline);
    const kills: Kill[] = planned.flatMap((kill) => {
      const base = baselines.get(kill.scenario.name);
      return kill.call === -1 && base !== undefined && typeof base !== 'string'
        ? Array.from({ length: base.calls }, (_, i) => ({ ...kill, call: i + 1 }))
        : [kill];
    });
    const all: string[] = [];
    const runs = kills.map((kill, index) => {
      const number = index + 1;
      if (only !== undefined && only !== '' && Number(only) !== number) return undefined;
      return t.test(`#${number} ${kill.scenario.name} ${kill.mode}`, async () => {
        const base = baselines.get(kill.scenario.name)!;
        const faults = typeof base === 'string' ? [base] : await runKill(number, kill, base);
        all.push(...faults);
        const replay = campaign.replay(FILE, { SHALE_CAMPAIGN_ONLY: number });
        if (faults.length > 0) assert.fail(faultReport(campaign, faults, replay));
      });
    });
    await Promise.all(runs.filter((run) => run !== undefined));
    const repair = (await fsckCanRepair()) ? 'present' : 'absent in this build';
    t.diagnostic(`seed ${campaign.seed}: ${all.length} faults; fsck --repair ${repair}`);
    if (all.length > 0) {
      assert.fail(`${all.length} fault(s), listed under each kill above; ${campaign.replay(FILE)}`);
    }
  },
);
