// Hostile hard links: targets must resolve inside the root (in scope, final component not
// followed) to a non-directory, and pre-existing inodes (shared with other snapshots by hard link)
// are never modified: they are copied up first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dir, file, hardlink, hostile, symlink } from '../helpers/layer-sandbox.ts';

test('hard link to /etc/passwd (absent from the root) is refused', async () => {
  await hostile([[hardlink('pw', '/etc/passwd')]], { code: 'ERR_BAD_TAR' });
});

test('hard link via ../ to a file outside the root is refused', async () => {
  await hostile([[hardlink('h', '../outside-file')]], { code: 'ERR_BAD_TAR' });
});

test('hard link via ../ to the /dest-evil sibling is refused', async () => {
  await hostile([[hardlink('h', '../root-evil/f')]], { code: 'ERR_BAD_TAR' });
});

test('hard link to a symlink pointing out links the symlink itself', async () => {
  await hostile([[symlink('s', '/etc/passwd'), hardlink('h', 's', { mode: 0o777 })]], {
    check: ({ sb }) => {
      const st = fs.lstatSync(sb.at('h'));
      assert.ok(st.isSymbolicLink());
      assert.equal(st.ino, fs.lstatSync(sb.at('s')).ino);
      assert.equal(fs.readlinkSync(sb.at('h')), '/etc/passwd');
    },
  });
});

test('hard link through a symlinked parent resolves in scope (and is missing there)', async () => {
  await hostile([[symlink('e', '../../'), hardlink('h', 'e/outside-file')]], {
    code: 'ERR_BAD_TAR',
  });
});

test('hard link through a symlinked parent to an in-root file works', async () => {
  await hostile(
    [[dir('real/'), file('real/f', 'data'), symlink('e', '/real'), hardlink('h', 'e/f')]],
    {
      check: ({ sb }) =>
        assert.equal(fs.lstatSync(sb.at('h')).ino, fs.lstatSync(sb.at('real/f')).ino),
    },
  );
});

test('hard link to a directory is refused', async () => {
  await hostile([[dir('d/'), hardlink('h', 'd')]], { code: 'ERR_BAD_TAR' });
});

test('hard link to itself is refused', async () => {
  await hostile([[file('a', 'x'), hardlink('a', 'a')]], { code: 'ERR_BAD_TAR' });
});

test('hard link to the root (".") is refused', async () => {
  await hostile([[hardlink('h', './')]], { code: 'ERR_BAD_TAR' });
});

test('AUFS plnk: hard links into .wh..wh.plnk are materialised as private files', async () => {
  const stashes = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('shale-plnk-'));
  const before = stashes();
  await hostile(
    [
      [
        file('.wh..wh.plnk/123.4', 'saved', { mode: 0o751, mtime: 11 }),
        hardlink('a', '.wh..wh.plnk/123.4'),
        hardlink('b', '/.wh..wh.plnk/123.4'),
      ],
    ],
    {
      check: ({ sb }) => {
        assert.deepEqual(fs.readdirSync(sb.root).sort(), ['a', 'b']);
        const a = fs.lstatSync(sb.at('a'));
        assert.equal(fs.readFileSync(sb.at('b'), 'utf8'), 'saved');
        assert.equal(a.mode & 0o7777, 0o751);
        assert.equal(a.mtimeMs, 11_000);
        assert.notEqual(a.ino, fs.lstatSync(sb.at('b')).ino);
        assert.deepEqual(stashes(), before);
      },
    },
  );
});

test('AUFS plnk: hard link to a plnk source the layer did not provide is refused', async () => {
  await hostile([[hardlink('h', '.wh..wh.plnk/999.1')]], { code: 'ERR_BAD_TAR' });
});

test('AUFS plnk: ../ out of .wh..wh.plnk is refused', async () => {
  await hostile([[hardlink('h', '.wh..wh.plnk/../../outside-file')]], { code: 'ERR_BAD_TAR' });
});

test('rewriting a hard-linked path gives it a new inode; the other name keeps the old data', async () => {
  await hostile([[file('f', 'one'), hardlink('h', 'f'), file('f', 'two')]], {
    check: ({ sb }) => {
      assert.equal(fs.readFileSync(sb.at('h'), 'utf8'), 'one');
      assert.equal(fs.readFileSync(sb.at('f'), 'utf8'), 'two');
    },
  });
});

// The snapshot constraint: <tmp>/box/outside-file is hard-linked into the root before the apply
// (as a snapshot sharing it with its parent would be), so any write to that inode shows up in the
// outside snapshot (content, mode, owner, mtime; nlink is excluded only where the root's name for
// it is legitimately unlinked).
const shared = (sb: { box: string; at(rel: string): string }) => {
  fs.mkdirSync(sb.at('d'));
  fs.linkSync(path.join(sb.box, 'outside-file'), sb.at('d/shared'));
};

test('snapshot inode: hard link to a pre-existing shared file copies it up first', async () => {
  await hostile(
    [[hardlink('h', 'd/shared', { mode: 0o4777, uid: 1234, gid: 1234, mtime: 5 })]],
    {
      check: ({ sb }) => {
        const outside = fs.lstatSync(path.join(sb.box, 'outside-file'));
        const h = fs.lstatSync(sb.at('h'));
        assert.equal(h.ino, fs.lstatSync(sb.at('d/shared')).ino);
        assert.notEqual(h.ino, outside.ino);
        assert.equal(h.mode & 0o7777, 0o4777);
        assert.equal(fs.readFileSync(sb.at('h'), 'utf8'), 'outside\n');
        assert.equal(outside.mode & 0o7777, 0o644);
      },
    },
    { prepare: shared, nlink: false },
  );
});

test('snapshot inode: regular file over a shared file replaces, never writes in place', async () => {
  await hostile(
    [[file('d/shared', 'pwned', { mode: 0o777 })]],
    {
      check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('d/shared'), 'utf8'), 'pwned'),
    },
    { prepare: shared, nlink: false },
  );
});

test('snapshot inode: whiteout, opaque dir and dir metadata leave the shared file alone', async () => {
  await hostile(
    [[dir('d/', { mode: 0o700 }), file('d/.wh.shared', ''), file('d/.wh..wh..opq', '')]],
    { check: ({ sb }) => assert.equal(fs.readdirSync(sb.at('d')).length, 0) },
    { prepare: shared, nlink: false },
  );
});

test('snapshot inode: copy-up keeps content, owner, times and xattrs of the shared file', async () => {
  await hostile(
    [[hardlink('h', 'd/shared', { mode: 0o600, uid: 0, gid: 0, mtime: 7 })]],
    {
      check: ({ sb }) => {
        const copy = fs.lstatSync(sb.at('d/shared'));
        assert.notEqual(copy.ino, fs.lstatSync(path.join(sb.box, 'outside-file')).ino);
        const dump = spawnSync(
          'getfattr',
          ['-d', '-e', 'hex', '--absolute-names', sb.at('d/shared')],
          {
            encoding: 'utf8',
          },
        ).stdout;
        assert.match(dump, /user\.keep=0x00ff/);
        assert.equal(copy.mtimeMs, 7000); // the header's metadata, now on the private copy
      },
    },
    {
      nlink: false,
      prepare: (sb) => {
        shared(sb);
        spawnSync('setfattr', [
          '-n',
          'user.keep',
          '-v',
          '0x00ff',
          path.join(sb.box, 'outside-file'),
        ]);
      },
    },
  );
});

test('snapshot inode: hard link to a shared symlink copies the symlink up', async () => {
  await hostile(
    [[hardlink('h', 'sl', { uid: 4321, gid: 4321, mtime: 9 })]],
    {
      check: ({ sb }) => {
        const h = fs.lstatSync(sb.at('h'));
        assert.ok(h.isSymbolicLink());
        assert.equal(fs.readlinkSync(sb.at('h')), '../target-dir');
        assert.notEqual(h.ino, fs.lstatSync(path.join(sb.box, 'link-out')).ino);
      },
    },
    { nlink: false, prepare: (sb) => fs.linkSync(path.join(sb.box, 'link-out'), sb.at('sl')) },
  );
});
