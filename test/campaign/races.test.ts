// The concurrency campaign (issue 16): several shale processes on one store root at once.
// - the layer-reversed pair (a: layers 1-2-3-4, b: 4-3-2-1) pulled at once: both finish in
//   bounded time (no deadlock) and every blob is downloaded once;
// - a pull racing `rmi` and `prune --all` of an image that shares its layers;
// - `tag` racing `rmi` of the same image;
// - several `load`s of one docker-archive at once;
// - two PID namespaces (`unshare --pid --fork --mount-proc`) pulling and tagging in one root;
// - a partial-download lock left by a SIGKILLed pull, and locks whose PID now belongs to an
//   unrelated process (written as the old bare-PID format did and as the owner records do now).
// After each round: no lost tag, no dangling reference, `fsck` clean, nothing hangs (every child
// has a time limit and a child still running then is a fault). Blob downloads are counted in the
// registry's log; pulls go through a throttling proxy so that they overlap.
//
//   SHALE_CAMPAIGN_SEED=N     the start delays (printed on failure; random otherwise)
//   SHALE_CAMPAIGN_ROUNDS=K   K × 3 rounds per race (default 1)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  publishCampaignImages,
  rootfsTar,
  type CampaignImages,
} from '../helpers/campaign-images.ts';
import { blobGets, downloadedTwice, logMark } from '../helpers/campaign-registry-log.ts';
import { outcome, runCli, runInPidNamespace, type CliResult } from '../helpers/campaign-run.ts';
import { faultReport, startCampaign } from '../helpers/campaign-seed.ts';
import { fsckVerdict, listImages } from '../helpers/campaign-store.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';

const FILE = 'test/campaign/races.test.ts';
const campaign = startCampaign();
const ROUNDS = 3 * campaign.scale;
/** How long one pull of the pair may take through the throttling proxy before it counts as hung. */
const PULL_BOUND_MS = 20_000;

let registry: TestRegistry;
let proxy: FaultProxy;
let slowProxy: FaultProxy;
let work: string;
let images: CampaignImages;
let rootfs: string;
let otherRootfs: string;
let dockerArchive: string;
/** The pair's references through the throttling proxy. */
let a: string;
let b: string;

function throttle(target: FaultProxy, bytesPerSecond: number): void {
  target.addRule({
    method: 'GET',
    path: /\/blobs\/sha256:/,
    times: Number.MAX_SAFE_INTEGER,
    fault: { kind: 'throttle', bytesPerSecond },
  });
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'shale-races-'));
  registry = await startRegistry();
  images = await publishCampaignImages(path.join(work, 'fixtures'), registry.host);
  proxy = await startFaultProxy(registry.host);
  throttle(proxy, 2 << 20);
  slowProxy = await startFaultProxy(registry.host);
  throttle(slowProxy, 128 << 10);
  a = images.a.replace(registry.host, proxy.host);
  b = images.b.replace(registry.host, proxy.host);
  rootfs = await rootfsTar(path.join(work, 'rootfs'), 'rootfs31', 31);
  otherRootfs = await rootfsTar(path.join(work, 'rootfs'), 'rootfs32', 32);
  const prep = path.join(work, 'prep');
  dockerArchive = path.join(work, 'b-docker.tar');
  for (const args of [
    ['pull', '-q', images.b],
    ['save', images.b, '-o', dockerArchive],
  ]) {
    const r = await runCli(['--root', prep, ...args]);
    assert.equal(r.status, 0, outcome(r));
  }
});

after(async () => {
  await proxy?.stop();
  await slowProxy?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

let storeNumber = 0;
function freshRoot(): string {
  return path.join(work, `store-${++storeNumber}`);
}

/** `shale --root ROOT ARGS`, started after `delayMs`. */
async function later(delayMs: number, root: string, args: string[]): Promise<CliResult> {
  await sleep(delayMs);
  return runCli(['--root', root, ...args], { timeoutMs: PULL_BOUND_MS });
}

/** Faults of a run that had to succeed: a hang, a failure. */
function mustSucceed(r: CliResult): string[] {
  if (r.timedOut) return [`hangs: ${outcome(r)}`];
  return r.status === 0 ? [] : [`fails: ${outcome(r)}`];
}

/** A refusal must be a `shale: …` line, not a stack. */
function clearRefusal(r: CliResult): string[] {
  if (r.timedOut) return [`hangs: ${outcome(r)}`];
  if (r.status === 0 || /^shale: /m.test(r.stderr)) return [];
  return [`fails without a clear message: ${outcome(r)}`];
}

/** `fsck` clean, `images` working, every `present` reference listed, every `absent` one gone. */
async function storeFaults(root: string, present: string[], absent: string[] = []) {
  const faults = (await fsckVerdict(root, false)).faults;
  const listed = await listImages(root);
  if (typeof listed === 'string') return [...faults, listed];
  const refs = new Set(listed.map((i) => i.ref));
  for (const ref of present) if (!refs.has(ref)) faults.push(`tag lost: ${ref} is not listed`);
  for (const ref of absent) if (refs.has(ref)) faults.push(`${ref} is still listed`);
  return faults;
}

/** The fault report of one race's rounds (each fault prefixed with its round). */
function report(faults: string[]): string {
  return faultReport(campaign, faults, campaign.replay(FILE));
}

test('the layer-reversed pair pulled at once: no deadlock, each blob downloaded once', async () => {
  const faults: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const root = freshRoot();
    const mark = logMark(registry.logFile);
    const delay = campaign.rng.below(200);
    const runs = await Promise.all([later(0, root, ['pull', a]), later(delay, root, ['pull', b])]);
    const gets = blobGets(registry.logFile, mark);
    assert.ok(gets.size > 0, 'the registry log shows the pulls (harness check)');
    const found = [
      ...runs.flatMap(mustSucceed),
      ...downloadedTwice(gets),
      ...(await storeFaults(root, runs.every((r) => r.status === 0) ? [a, b] : [])),
    ];
    faults.push(...found.map((f) => `round ${round} (b started ${delay} ms after a): ${f}`));
    if (runs.some((r) => r.timedOut)) break; // a deadlock costs the bound each round: once is enough
  }
  if (faults.length > 0) assert.fail(report(faults));
});

test('a pull racing rmi and prune --all of an image that shares its layers', async () => {
  const faults: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const root = freshRoot();
    const setup = await runCli(['--root', root, 'pull', '-q', a]);
    assert.equal(setup.status, 0, outcome(setup));
    const mark = logMark(registry.logFile);
    const [rmiDelay, pruneDelay] = [campaign.rng.below(400), campaign.rng.below(400)];
    const [pull, rmi, prune] = await Promise.all([
      later(0, root, ['pull', b]),
      later(rmiDelay, root, ['rmi', a]),
      later(pruneDelay, root, ['prune', '--all']),
    ]);
    const found = [
      ...[pull, rmi, prune].flatMap(mustSucceed),
      ...downloadedTwice(blobGets(registry.logFile, mark)),
      ...(await storeFaults(root, pull.status === 0 ? [b] : [], rmi.status === 0 ? [a] : [])),
    ];
    const when = `rmi after ${rmiDelay} ms, prune after ${pruneDelay} ms`;
    faults.push(...found.map((f) => `round ${round} (pull b, ${when}): ${f}`));
  }
  if (faults.length > 0) assert.fail(report(faults));
});

test('tag racing rmi of the same image', async () => {
  const template = freshRoot();
  for (const [tar, ref] of [
    [rootfs, 'race/x:1'],
    [otherRootfs, 'race/keep:1'],
  ] as const) {
    const made = await runCli(['--root', template, 'import', tar, ref]);
    assert.equal(made.status, 0, outcome(made));
  }
  const faults: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const root = freshRoot();
    execFileSync('cp', ['-a', template, root]);
    const [tagDelay, rmiDelay] = [campaign.rng.below(150), campaign.rng.below(150)];
    const [tag, rmi] = await Promise.all([
      later(tagDelay, root, ['tag', 'race/x:1', 'race/x:2']),
      later(rmiDelay, root, ['rmi', 'race/x:1']),
    ]);
    const found = [
      ...clearRefusal(tag),
      ...mustSucceed(rmi),
      ...(await storeFaults(root, tag.status === 0 ? ['race/x:2'] : [], ['race/x:1'])),
    ];
    // Tagging still works afterwards.
    found.push(...mustSucceed(await later(0, root, ['tag', 'race/keep:1', 'race/keep:2'])));
    const when = `tag after ${tagDelay} ms, rmi after ${rmiDelay} ms`;
    faults.push(...found.map((f) => `round ${round} (${when}): ${f}`));
  }
  if (faults.length > 0) assert.fail(report(faults));
});

test('several loads of one docker-archive at once', async () => {
  const faults: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const root = freshRoot();
    const delays = [0, 1, 2].map(() => campaign.rng.below(150));
    const runs = await Promise.all(
      delays.map((d) => later(d, root, ['load', '-i', dockerArchive])),
    );
    const found = [...runs.flatMap(mustSucceed), ...(await storeFaults(root, [images.b]))];
    faults.push(
      ...found.map((f) => `round ${round} (loads started after ${delays.join(', ')} ms): ${f}`),
    );
  }
  if (faults.length > 0) assert.fail(report(faults));
});

test('two PID namespaces sharing a root pull and tag at once', async () => {
  const faults: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const root = freshRoot();
    const mark = logMark(registry.logFile);
    const script = (image: string, ns: string) =>
      `$SHALE --root '${root}' pull -q '${image}' || exit 1
       for i in 1 2 3; do $SHALE --root '${root}' tag '${image}' ${ns}/t:$i || exit 1; done`;
    const runs = await Promise.all([
      runInPidNamespace(script(a, 'ns1'), { timeoutMs: 2 * PULL_BOUND_MS }),
      runInPidNamespace(script(b, 'ns2'), { timeoutMs: 2 * PULL_BOUND_MS }),
    ]);
    const tags = ['ns1', 'ns2'].flatMap((ns) => [1, 2, 3].map((i) => `${ns}/t:${i}`));
    const found = [
      ...runs.flatMap(mustSucceed),
      ...downloadedTwice(blobGets(registry.logFile, mark)),
      ...(await storeFaults(root, runs.every((r) => r.status === 0) ? [a, b, ...tags] : [])),
    ];
    faults.push(...found.map((f) => `round ${round}: ${f}`));
    if (runs.some((r) => r.timedOut)) break;
  }
  if (faults.length > 0) assert.fail(report(faults));
});

/** Files under `dir` (recursively) whose name starts with `prefix`, with their sizes. */
function filesNamed(dir: string, prefix: string): { file: string; size: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesNamed(full, prefix);
    return entry.name.startsWith(prefix) ? [{ file: full, size: statSync(full).size }] : [];
  });
}

test('a partial-download lock left by a SIGKILLed pull is taken over', async () => {
  const faults: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const root = freshRoot();
    const killAfterMs = 800 + campaign.rng.below(1000);
    const slow = images.a.replace(registry.host, slowProxy.host);
    const killed = await runCli(['--root', root, 'pull', slow], { killAfterMs });
    const partials = filesNamed(path.join(root, 'shale'), 'partial-');
    if (!killed.killed)
      faults.push(`round ${round}: the slow pull was not killed: ${outcome(killed)}`);
    const resumed = await later(0, root, ['pull', a]);
    const found = [...mustSucceed(resumed), ...(await storeFaults(root, [a]))];
    const left = partials.map((p) => `${path.basename(p.file)} (${p.size} B)`).join(', ');
    faults.push(
      ...found.map((f) => `round ${round} (killed after ${killAfterMs} ms, left ${left}): ${f}`),
    );
  }
  if (faults.length > 0) assert.fail(report(faults));
});

/** Field 22 of /proc/PID/stat: the process's start time in clock ticks since boot. */
function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
}

for (const format of ['bare PID (the old format)', 'owner record (the lock primitive)'] as const) {
  test(`a partial-download lock whose PID now runs an unrelated process: ${format}`, async (t) => {
    const sleeper: ChildProcess = spawn('sleep', ['300'], { stdio: 'ignore' });
    t.after(() => sleeper.kill('SIGKILL'));
    const pid = sleeper.pid!;
    const root = freshRoot();
    const created = await runCli(['--root', root, 'images', '-q']);
    assert.equal(created.status, 0, outcome(created));
    const layer = images.sharedLayers[0]!;
    const ingest = path.join(root, 'shale', 'ingest');
    mkdirSync(ingest, { recursive: true });
    const partial = path.join(ingest, `partial-${layer.digest.replace(':', '-')}`);
    // What the dead puller had written: the first KiB of the blob.
    writeFileSync(partial, readFileSync(layer.file).subarray(0, 1024));
    const lock = `${partial}.lock`;
    if (format === 'bare PID (the old format)') {
      writeFileSync(lock, String(pid));
      const hourAgo = new Date(Date.now() - 3600_000);
      utimesSync(lock, hourAgo, hourAgo); // left by an older shale: no heartbeat for an hour
    } else {
      const owner = {
        host: hostname(),
        boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
        pidns: readlinkSync('/proc/self/ns/pid'),
        pid,
        start: startTime(pid) - 1, // the holder that died had this PID, started earlier
        nonce: 'campaign-dead-holder',
      };
      writeFileSync(lock, JSON.stringify(owner)); // fresh mtime: only the start time betrays it
    }
    const pull = await later(0, root, ['pull', a]);
    const faults = [...mustSucceed(pull), ...(await storeFaults(root, [a]))];
    const where = `lock ${path.basename(lock)} naming PID ${pid} (a live \`sleep\`)`;
    const found = faults.map((f) => `${where}: ${f}`);
    if (found.length > 0) assert.fail(report(found));
  });
}
