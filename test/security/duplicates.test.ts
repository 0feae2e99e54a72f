// Duplicate paths in one layer: later entries win (as upstream), replacing whatever is there
// without following it; set-id bits survive but only on inodes the layer itself created.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dir, file, hardlink, hostile, lstatOrNull, symlink } from '../helpers/layer-sandbox.ts';

test('duplicate: dir then file of the same name (file wins, subtree gone)', async () => {
  await hostile([[dir('x/'), file('x/inner', 'i'), file('x', 'file')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('x'), 'utf8'), 'file'),
  });
});

test('duplicate: file then dir of the same name (dir wins)', async () => {
  await hostile([[file('x', 'file'), dir('x/', { mode: 0o710 })]], {
    check: ({ sb }) => {
      const st = fs.lstatSync(sb.at('x'));
      assert.ok(st.isDirectory());
      assert.equal(st.mode & 0o7777, 0o710);
    },
  });
});

test('duplicate: symlink then file of the same name', async () => {
  await hostile([[symlink('x', '/etc/passwd'), file('x', 'mine')]], {
    check: ({ sb }) => assert.ok(fs.lstatSync(sb.at('x')).isFile()),
  });
});

test('duplicate: dir, then a symlink out over it, then a file inside it', async () => {
  await hostile([[dir('d/'), symlink('d', '../../target-dir'), file('d/victim', 'pwned')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('target-dir/victim'), 'utf8'), 'pwned'),
  });
});

test('a file replacing a symlinked dir removes only the link', async () => {
  await hostile([[symlink('d', '../../target-dir')], [file('d', 'plain')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('d'), 'utf8'), 'plain'),
  });
});

test('duplicate directory entries: the later metadata wins and the contents stay', async () => {
  await hostile(
    [[dir('d/', { mode: 0o700 }), file('d/f', 'x'), dir('d/', { mode: 0o751, mtime: 42 })]],
    {
      check: ({ sb }) => {
        const st = fs.lstatSync(sb.at('d'));
        assert.equal(st.mode & 0o7777, 0o751);
        assert.equal(st.mtimeMs, 42_000);
        assert.ok(lstatOrNull(sb.at('d/f')));
      },
    },
  );
});

test('setuid bits are preserved on files the layer creates', async () => {
  await hostile(
    [[file('bin/su', '#!', { mode: 0o6755, uid: 0, gid: 0 }), dir('tmp/', { mode: 0o1777 })]],
    {
      check: ({ sb }) => {
        assert.equal(fs.lstatSync(sb.at('bin/su')).mode & 0o7777, 0o6755);
        assert.equal(fs.lstatSync(sb.at('tmp')).mode & 0o7777, 0o1777);
      },
    },
  );
});

test('setuid not exploitable: a set-id hard link to a file outside the root is impossible', async () => {
  await hostile([[hardlink('su', path.posix.join('..', 'outside-file'), { mode: 0o4755 })]], {
    code: 'ERR_BAD_TAR',
  });
});

test('setuid not exploitable: set-id mode on a link to a shared inode lands on a private copy', async () => {
  await hostile(
    [[hardlink('su', 'shared', { mode: 0o4777 })]],
    {
      check: ({ sb }) => {
        assert.equal(fs.lstatSync(path.join(sb.box, 'outside-file')).mode & 0o7777, 0o644);
        assert.equal(fs.lstatSync(sb.at('su')).mode & 0o7777, 0o4777);
      },
    },
    {
      nlink: false,
      prepare: (sb) => fs.linkSync(path.join(sb.box, 'outside-file'), sb.at('shared')),
    },
  );
});

test('mode 0000 file and dir are applied exactly (umask ignored)', async () => {
  const old = process.umask(0o077);
  try {
    await hostile(
      [[file('z', 'x', { mode: 0 }), dir('zd/', { mode: 0 }), file('w', 'x', { mode: 0o777 })]],
      {
        check: ({ sb }) => {
          assert.equal(fs.lstatSync(sb.at('z')).mode & 0o7777, 0);
          assert.equal(fs.lstatSync(sb.at('zd')).mode & 0o7777, 0);
          assert.equal(fs.lstatSync(sb.at('w')).mode & 0o7777, 0o777);
        },
      },
    );
  } finally {
    process.umask(old);
  }
});
