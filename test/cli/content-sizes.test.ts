// Docker's sizes for layers shale makes itself: an imported rootfs and a committed working tree
// get their content size as they are created (the DiffID read counts it), `images`, `inspect` and
// `history` show it, and prune reclaims the removed layers' content sizes. The expected figures
// come from an lstat walk of the directories, done the way moby's pkg/directory.Size does it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, prune } from '../../src/store/index.ts';
import { runShale } from '../helpers/shale.ts';

const example = fileURLToPath(new URL('../../examples/rootfs', import.meta.url));

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** moby pkg/directory.Size: lstat walk, directories and empty files skipped, each inode once. */
function directorySize(root: string): number {
  const seen = new Set<bigint>();
  let total = 0;
  for (const name of fs.readdirSync(root, { recursive: true }) as string[]) {
    const st = fs.lstatSync(path.join(root, name), { bigint: true });
    if (st.isDirectory() || st.size === 0n || seen.has(st.ino)) continue;
    seen.add(st.ino);
    total += Number(st.size);
  }
  return total;
}

function layerRecords(root: string): { contentSize?: number }[] {
  const dir = path.join(root, 'shale', 'layers', 'sha256');
  return fs
    .readdirSync(dir)
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as object);
}

test('import and commit record content sizes; images, inspect, history and prune use them', async () => {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'shale-content-sizes-'));
  const root = path.join(dir, 'store');
  const rootfs = path.join(dir, 'rootfs');
  fs.cpSync(example, rootfs, { recursive: true, verbatimSymlinks: true });
  fs.linkSync(path.join(rootfs, 'etc/passwd'), path.join(rootfs, 'etc/passwd-link'));
  fs.symlinkSync('../etc/passwd', path.join(rootfs, 'usr/passwd'));
  const baseSize = directorySize(rootfs);
  const base = shale(root, 'import', rootfs, 'sizes:base').trim();
  assert.deepEqual(layerRecords(root), [{ ...layerRecords(root)[0], contentSize: baseSize }]);

  const tree = path.join(dir, 'tree');
  shale(root, 'checkout', 'sizes:base', tree);
  fs.writeFileSync(path.join(tree, 'etc/added'), 'z'.repeat(2000));
  fs.linkSync(path.join(tree, 'etc/added'), path.join(tree, 'etc/added-link'));
  fs.symlinkSync('/etc/added', path.join(tree, 'added'));
  fs.mkdirSync(path.join(tree, 'workdir'));
  fs.rmSync(path.join(tree, 'usr/passwd'));
  const child = shale(root, 'commit', tree).trim(); // untagged: what prune removes
  const added = 2000 + '/etc/added'.length;
  assert.ok(layerRecords(root).every((l) => typeof l.contentSize === 'number'));

  const images = JSON.parse(shale(root, 'images', '--json', '-a')) as {
    Id: string;
    Size: number;
  }[];
  assert.equal(images.find((i) => i.Id === base)?.Size, baseSize);
  const [inspect] = JSON.parse(shale(root, 'inspect', '--json', child)) as { Size: number }[];
  assert.equal(inspect!.Size, baseSize + added);
  const history = JSON.parse(shale(root, 'history', '--json', child)) as { Size: number }[];
  assert.deepEqual(
    history.map((h) => h.Size),
    [added, baseSize],
  );

  const store = await openStore(root);
  const dry = await prune(store, { dryRun: true });
  assert.deepEqual(dry.images, [child]);
  assert.equal(dry.bytes, added, 'the removed layer’s content size, not its blob’s bytes');
  fs.rmSync(dir, { recursive: true, force: true });
});
