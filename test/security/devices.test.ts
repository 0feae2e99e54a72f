// Device nodes, FIFOs and unknown entry types. The non-root case really runs unprivileged: a
// child process started with setpriv(1) as nobody (uid/gid 65534), so mknod is genuinely denied.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  END,
  file,
  hostile,
  layer,
  makeSandbox,
  rawEntry,
  snapshot,
  symlink,
  type Entry,
} from '../helpers/layer-sandbox.ts';

const IS_ROOT = process.getuid?.() === 0;
const dev = (name: string, typeflag: '3' | '4', major: number, minor: number): Entry => ({
  header: { name, typeflag, mode: 0o666, devmajor: major, devminor: minor, mtime: 1 },
});
const fifo = (name: string): Entry => ({ header: { name, typeflag: '6', mode: 0o640, mtime: 1 } });

test(
  'char device as root is created inside the root with its numbers',
  { skip: !IS_ROOT && 'needs root' },
  async () => {
    await hostile([[dev('dev/kmem-ish', '3', 1, 2)]], {
      check: ({ sb }) => {
        const st = fs.lstatSync(sb.at('dev/kmem-ish'));
        assert.ok(st.isCharacterDevice());
        assert.equal(st.rdev, (1 << 8) | 2);
        assert.equal(st.mode & 0o7777, 0o666);
      },
    });
  },
);

test(
  'block device through a symlinked parent pointing out lands inside the root',
  { skip: !IS_ROOT && 'needs root' },
  async () => {
    await hostile([[symlink('d', '../../target-dir'), dev('d/sda', '4', 8, 0)]], {
      check: ({ sb }) => assert.ok(fs.lstatSync(sb.at('target-dir/sda')).isBlockDevice()),
    });
  },
);

test(
  'device over an existing symlink to an outside file replaces the link',
  { skip: !IS_ROOT && 'needs root' },
  async () => {
    await hostile([[symlink('n', '../outside-file'), dev('n', '3', 1, 3)]], {
      check: ({ sb }) => assert.ok(fs.lstatSync(sb.at('n')).isCharacterDevice()),
    });
  },
);

test('FIFO through a symlink to an outside dir lands inside the root', async () => {
  await hostile([[symlink('d', '../../target-dir'), fifo('d/pipe')]], {
    check: ({ sb }) => {
      const st = fs.lstatSync(sb.at('target-dir/pipe'));
      assert.ok(st.isFIFO());
      assert.equal(st.mode & 0o7777, 0o640);
    },
  });
});

test(
  'device nodes as non-root (setpriv to nobody): coded warning and skip, no node',
  { skip: !IS_ROOT && 'needs root to drop to nobody' },
  async () => {
    const sb = makeSandbox();
    try {
      fs.chmodSync(sb.tmp, 0o755);
      fs.chownSync(sb.root, 65534, 65534);
      const before = snapshot(sb.tmp, sb.root);
      const tar = await layer([
        dev('null', '3', 1, 3),
        dev('sda', '4', 8, 0),
        fifo('p'),
        file('f', 'ok'),
      ]);
      const child = fileURLToPath(new URL('../helpers/layer-device-child.ts', import.meta.url));
      const r = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          process.execPath,
          '--import',
          'tsx',
          child,
          sb.root,
        ],
        { input: tar, encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) },
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        uid: number;
        warnings: { code: string; path: string }[];
        error: unknown;
      };
      assert.equal(out.uid, 65534);
      assert.equal(out.error, null);
      assert.deepEqual(
        out.warnings.map((w) => [w.code, w.path]),
        [
          ['WARN_DEVICE_SKIPPED', 'null'],
          ['WARN_DEVICE_SKIPPED', 'sda'],
        ],
      );
      assert.deepEqual(fs.readdirSync(sb.root).sort(), ['f', 'p']);
      assert.deepEqual(snapshot(sb.tmp, sb.root), before);
    } finally {
      sb.cleanup();
    }
  },
);

test('unknown typeflag Z over an existing file is ERR_UNSUPPORTED and removes nothing', async () => {
  const first = Buffer.concat([rawEntry({ name: 'keep' }, Buffer.from('k')), END]);
  const second = Buffer.concat([rawEntry({ name: 'keep', typeflag: 'Z' }), END]);
  await hostile([first, second], {
    code: 'ERR_UNSUPPORTED',
    check: ({ sb }) => assert.deepEqual(fs.readdirSync(sb.root), ['keep']),
  });
});

test('unknown typeflag Z in a missing directory creates no parents', async () => {
  const tar = Buffer.concat([rawEntry({ name: 'new/dir/weird', typeflag: 'Z' }), END]);
  await hostile([tar], {
    code: 'ERR_UNSUPPORTED',
    check: ({ sb }) => assert.deepEqual(fs.readdirSync(sb.root), []),
  });
});

test('GNU multi-volume continuation (M) is refused', async () => {
  await hostile(
    [Buffer.concat([rawEntry({ name: 'vol', typeflag: 'M' }, Buffer.from('x')), END])],
    {
      code: 'ERR_UNSUPPORTED',
    },
  );
});
