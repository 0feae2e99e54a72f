// applyLayer happy path against GNU tar as the oracle: a tree with every entry type (long and
// non-UTF-8 names, binary xattrs, hard links, FIFOs, devices when root, set-id/sticky/0000 modes,
// owners, times before 1970) archived by GNU tar, applied by shale and extracted by GNU tar, must
// come out identical; then multi-layer whiteout/opaque scenarios against GNU tar plus the
// expected deletions.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { applyLayer } from '../../src/archive/apply/index.ts';
import type { ByteString } from '../../src/archive/tar/index.ts';
import {
  IS_ROOT,
  MTIME_TOLERANCE_NS,
  exampleTree,
  materialize,
  probeMaxTime,
  readXattrs,
  requireTools,
  runQuiet,
  sha256,
  under,
  walk,
  xattrsToObject,
  type TreeNode,
} from '../helpers/gnu-tar-tree.ts';
import { chunksOf, layer, type Entry } from '../helpers/layer-sandbox.ts';

requireTools();
const TAR_X = ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-p', '--warning=no-timestamp'];
if (IS_ROOT) TAR_X.push('--same-owner');

function work(): { dir: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shale-apply-ok-'));
  return { dir, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Everything comparable about a tree: per path type/mode/owner/mtime/content/target/rdev/xattrs/link group. */
function describe(root: string): Map<ByteString, Record<string, unknown>> {
  const stats = walk(root);
  stats.set('', fs.lstatSync(root, { bigint: true }));
  const xattrs = readXattrs(root);
  const groups = new Map<bigint, ByteString[]>();
  for (const [rel, st] of stats) {
    if (!st.isDirectory()) groups.set(st.ino, [...(groups.get(st.ino) ?? []), rel]);
  }
  const out = new Map<ByteString, Record<string, unknown>>();
  for (const [rel, st] of stats) {
    const p = under(root, rel);
    out.set(rel, {
      mode: st.mode.toString(8),
      uid: st.uid,
      gid: st.gid,
      mtimeMs: st.mtimeNs / MTIME_TOLERANCE_NS,
      size: st.isFile() ? st.size : undefined,
      content: st.isFile() ? sha256(fs.readFileSync(p)) : undefined,
      target: st.isSymbolicLink()
        ? fs.readlinkSync(p, { encoding: 'buffer' }).toString('hex')
        : undefined,
      rdev: st.isCharacterDevice() || st.isBlockDevice() ? st.rdev : undefined,
      xattrs: xattrsToObject(xattrs.get(rel)),
      links: st.isDirectory() ? undefined : groups.get(st.ino)!.sort(),
    });
  }
  return out;
}

function assertSameTree(actual: string, expected: string): void {
  const a = describe(actual);
  const e = describe(expected);
  assert.deepEqual([...a.keys()].sort(), [...e.keys()].sort(), 'paths differ');
  for (const [rel, want] of e) assert.deepEqual(a.get(rel), want, `entry ${JSON.stringify(rel)}`);
}

function sourceTree(dir: string): { archive: string; nodes: TreeNode[] } {
  const src = path.join(dir, 'src');
  const scratch = path.join(dir, 'scratch');
  fs.mkdirSync(src);
  fs.mkdirSync(scratch);
  const nodes = exampleTree({
    devices: IS_ROOT,
    owners: IS_ROOT,
    xattrNames: 'writer',
    maxTime: probeMaxTime(scratch),
    maxNodes: 20,
  });
  // More modes: sticky dir, 0000 file, setgid file, a second hard-link group.
  const base = nodes.find((n) => n.kind === 'file' && n.path === 'empty')!;
  nodes.push(
    { ...base, kind: 'dir', path: 'sticky', mode: 0o1777, slash: true },
    { ...base, kind: 'file', path: 'sticky/zero', mode: 0o000, content: Buffer.from('0') },
    { ...base, kind: 'file', path: 'sticky/sgid', mode: 0o2711, content: Buffer.from('s') },
    { ...base, kind: 'hardlink', path: 'sticky/sgid2', target: 'sticky/sgid' },
  );
  materialize(src, scratch, nodes, 1_500_000_000);
  const archive = path.join(dir, 'layer.tar');
  runQuiet('tar', [
    '--format=pax',
    '--xattrs',
    '--xattrs-include=*',
    '--numeric-owner',
    '-C',
    src,
    '-cf',
    archive,
    '.',
  ]);
  return { archive, nodes };
}

async function applyFile(
  root: string,
  archive: string,
): Promise<{ size: number; entries: number }> {
  return applyLayer(root, fs.createReadStream(archive, { highWaterMark: 1000 }));
}

test('a GNU tar layer with every entry type applies exactly as GNU tar extracts it', async () => {
  const w = work();
  try {
    const { archive } = sourceTree(w.dir);
    const mine = path.join(w.dir, 'mine');
    const theirs = path.join(w.dir, 'theirs');
    fs.mkdirSync(mine);
    fs.mkdirSync(theirs);
    const result = await applyFile(mine, archive);
    runQuiet('tar', [...TAR_X, '-C', theirs, '-xf', archive]);
    assertSameTree(mine, theirs);
    assertSameTree(mine, path.join(w.dir, 'src'));
    const listed = runQuiet('tar', ['-tvf', archive]).toString('latin1').trim().split('\n');
    assert.equal(result.entries, listed.length);
  } finally {
    w.done();
  }
});

test('the same layer applied twice over itself is idempotent', async () => {
  const w = work();
  try {
    const { archive } = sourceTree(w.dir);
    const mine = path.join(w.dir, 'mine');
    fs.mkdirSync(mine);
    await applyFile(mine, archive);
    await applyFile(mine, archive);
    assertSameTree(mine, path.join(w.dir, 'src'));
  } finally {
    w.done();
  }
});

test('multi-layer: whiteouts, opaque directory and replacements match GNU tar plus the deletions', async () => {
  const w = work();
  try {
    const { archive } = sourceTree(w.dir);
    const mine = path.join(w.dir, 'mine');
    const theirs = path.join(w.dir, 'theirs');
    fs.mkdirSync(mine);
    fs.mkdirSync(theirs);
    await applyFile(mine, archive);
    runQuiet('tar', [...TAR_X, '-C', theirs, '-xf', archive]);

    const t = {
      mtime: 1_650_000_000,
      uid: IS_ROOT ? 7 : process.getuid!(),
      gid: IS_ROOT ? 8 : process.getgid!(),
    };
    const rootDir: Entry = { header: { name: './', typeflag: '5', mode: 0o750, ...t } };
    const dDir: Entry = { header: { name: 'd/', typeflag: '5', mode: 0o700, ...t } };
    const newFile: Entry = {
      header: { name: 'd/new', mode: 0o640, ...t },
      body: Buffer.from('new\n'),
    };
    const replaced: Entry = {
      header: { name: 'sticky', mode: 0o600, ...t },
      body: Buffer.from('was a dir\n'),
    };
    const wh = (name: string): Entry => ({
      header: { name, mode: 0, mtime: 0 },
      body: Buffer.alloc(0),
    });
    const layer2 = await layer([
      rootDir,
      wh('.wh.empty'),
      wh('.wh.fifo'),
      wh('.wh.hard link'),
      dDir,
      wh('d/.wh..wh..opq'),
      newFile,
      replaced,
    ]);
    const result = await applyLayer(mine, chunksOf(layer2));
    assert.deepEqual(result, { size: 4 + 10, entries: 8 });

    // The oracle: delete by hand what the whiteouts and the opaque marker remove, then let GNU
    // tar extract the non-whiteout entries (it replaces the sticky dir by the file itself).
    for (const name of ['empty', 'fifo', 'hard link']) fs.rmSync(path.join(theirs, name));
    for (const child of fs.readdirSync(path.join(theirs, 'd'))) {
      fs.rmSync(path.join(theirs, 'd', child), { recursive: true });
    }
    fs.rmSync(path.join(theirs, 'sticky'), { recursive: true });
    const plain = path.join(w.dir, 'plain.tar');
    fs.writeFileSync(plain, await layer([rootDir, dDir, newFile, replaced]));
    runQuiet('tar', [...TAR_X, '-C', theirs, '-xf', plain]);
    assertSameTree(mine, theirs);
  } finally {
    w.done();
  }
});

test('xattrs fall back to setfattr when the native module is unavailable', async () => {
  const w = work();
  try {
    const { archive } = sourceTree(w.dir);
    const mine = path.join(w.dir, 'mine');
    fs.mkdirSync(mine);
    const { spawnSync } = await import('node:child_process');
    const script = `
      import { applyLayer } from ${JSON.stringify(new URL('../../src/archive/apply/index.ts', import.meta.url).href)};
      import fs from 'node:fs';
      await applyLayer(process.argv[1], fs.createReadStream(process.argv[2]));`;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, mine, archive],
      {
        env: { ...process.env, SHALE_NO_NATIVE_XATTR: '1' },
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assertSameTree(mine, path.join(w.dir, 'src'));
  } finally {
    w.done();
  }
});

test('an xattr the kernel refuses (user.* on a symlink) is a coded warning (native and setfattr routes)', async () => {
  // A UTF-8 path goes through @napi-rs/xattr when it loads; a non-UTF-8 one through setfattr.
  for (const name of ['link', 'link\xff']) {
    const w = work();
    try {
      const tar = await layer([
        {
          header: {
            name,
            typeflag: '2',
            linkname: 'target',
            mtime: 1,
            xattrs: new Map([['user.refused', Buffer.from([0, 1])]]),
          },
        },
      ]);
      const warnings: { code: string; path: string }[] = [];
      await applyLayer(w.dir, chunksOf(tar), { onWarning: (x) => warnings.push(x) });
      assert.deepEqual(
        warnings.map((x) => [x.code, x.path]),
        [['WARN_XATTR_REFUSED', name]],
      );
      assert.equal(fs.readlinkSync(under(w.dir, name), 'utf8'), 'target');
    } finally {
      w.done();
    }
  }
});
