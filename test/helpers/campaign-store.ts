/**
 * What the campaigns check in a store after a kill or a race, through the CLI only: `fsck` clean
 * (or `fsck --repair` then clean, where the build has it), `images` working, no image lost, and
 * after everything is removed and `prune --all` has run, no file left but the empty store's own.
 * Each check returns the faults it found as sentences (empty: all well).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { outcome, runCli } from './campaign-run.ts';

export interface ListedImage {
  id: string;
  /** `REPO:TAG`, or `<none>:<none>` for an untagged image. */
  ref: string;
}

const UNTAGGED = '<none>:<none>';

/** `shale images -a`, or the fault that it failed. */
export async function listImages(root: string): Promise<ListedImage[] | string> {
  const r = await runCli([
    ...['--root', root, 'images', '-a', '--no-trunc'],
    ...['--format', '{{.ID}} {{.Repository}}:{{.Tag}}'],
  ]);
  if (r.status !== 0) return `listing fails: ${outcome(r)}`;
  return r.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [id, ref] = line.split(' ') as [string, string];
      return { id, ref };
    });
}

let repairSupport: boolean | undefined;

/** Whether this build's `fsck` takes `--repair` (issue 16 adds it). */
export async function fsckCanRepair(): Promise<boolean> {
  repairSupport ??= (await runCli(['fsck', '--help'])).stdout.includes('--repair');
  return repairSupport;
}

export interface FsckVerdict {
  faults: string[];
  /** `fsck` was not clean and `--repair` was run (successfully or not). */
  repaired: boolean;
  /** `fsck` was not clean and this build has no `--repair`. */
  unrepairable: boolean;
}

/**
 * `fsck` must exit 0. When it does not: with `allowRepair` and a build that has it,
 * `fsck --repair` must succeed and a second `fsck` be clean; otherwise it is a fault.
 */
export async function fsckVerdict(root: string, allowRepair: boolean): Promise<FsckVerdict> {
  const first = await runCli(['--root', root, 'fsck'], { timeoutMs: 60_000 });
  if (first.status === 0) return { faults: [], repaired: false, unrepairable: false };
  const report = `${outcome(first)}\n${first.stdout.trim()}`;
  if (!allowRepair)
    return { faults: [`fsck not clean: ${report}`], repaired: false, unrepairable: false };
  if (!(await fsckCanRepair())) {
    return {
      faults: [`fsck not clean (and this build has no \`fsck --repair\`): ${report}`],
      repaired: false,
      unrepairable: true,
    };
  }
  const faults: string[] = [];
  const repair = await runCli(['--root', root, 'fsck', '--repair'], { timeoutMs: 60_000 });
  const again = await runCli(['--root', root, 'fsck'], { timeoutMs: 60_000 });
  if (again.status !== 0) {
    faults.push(
      `fsck not clean after \`fsck --repair\` (${outcome(repair)}; found first: ${report}): ` +
        `${outcome(again)}\n${again.stdout.trim()}`,
    );
  }
  return { faults, repaired: true, unrepairable: false };
}

/** Images of `before` missing from `after`, except those `mayGo` lets go. */
export function lostImages(
  before: ListedImage[],
  after: ListedImage[],
  mayGo: (image: ListedImage) => boolean,
): string[] {
  const present = new Set(after.map((i) => `${i.id} ${i.ref}`));
  const ids = new Set(after.map((i) => i.id));
  return before
    .filter((i) => !mayGo(i))
    .filter((i) => (i.ref === UNTAGGED ? !ids.has(i.id) : !present.has(`${i.id} ${i.ref}`)))
    .map((i) => `image lost: ${i.ref} (${i.id})`);
}

/** Files an empty store keeps: its layout, marker, references, and lock and lease files. */
function emptyStoreFile(rel: string): boolean {
  return (
    ['oci-layout', 'index.json', 'shale/store.json', 'shale/references.json'].includes(rel) ||
    rel.startsWith('shale/locks/') ||
    rel.startsWith('shale/leases/')
  );
}

/** The checkout records (JSON and the tree record it names) of working trees that still exist. */
function liveCheckoutFiles(root: string): Set<string> {
  const dir = path.join(root, 'shale', 'checkouts');
  const live = new Set<string>();
  const names = existsSync(dir) ? readdirSync(dir) : [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const record = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as {
        dir?: string;
        tree?: string;
      };
      if (record.dir === undefined || !existsSync(record.dir)) continue;
      live.add(`shale/checkouts/${name}`);
      if (record.tree !== undefined) live.add(`shale/checkouts/${record.tree}`);
    } catch {
      // an unreadable record is garbage like any other file
    }
  }
  return live;
}

function filesUnder(root: string, dir = root): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(root, full));
    else files.push(path.relative(root, full));
  }
  return files;
}

/**
 * Removes every tag (`rmi` by name), runs `prune --all`, and reports any file left beyond an
 * empty store's (and the checkout records of working trees that still exist): blobs, ingest
 * leftovers, scratch, snapshots, records.
 */
export async function garbageAfterEmptying(root: string): Promise<string[]> {
  const images = await listImages(root);
  if (typeof images === 'string') return [images];
  const faults: string[] = [];
  const refs = images.map((i) => i.ref).filter((ref) => ref !== UNTAGGED);
  if (refs.length > 0) {
    const rmi = await runCli(['--root', root, 'rmi', ...refs]);
    if (rmi.status !== 0) faults.push(`removing every tag fails: ${outcome(rmi)}`);
  }
  const prune = await runCli(['--root', root, 'prune', '--all']);
  if (prune.status !== 0) faults.push(`prune --all fails: ${outcome(prune)}`);
  const live = liveCheckoutFiles(root);
  const left = filesUnder(root).filter((rel) => !emptyStoreFile(rel) && !live.has(rel));
  if (left.length > 0) {
    const shown = left.slice(0, 8).join(', ');
    faults.push(
      `garbage after removing every tag and \`prune --all\`: ${left.length} file(s): ${shown}` +
        (left.length > 8 ? ', …' : ''),
    );
  }
  return faults;
}
