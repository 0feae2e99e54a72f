// Hostile layers that try to escape through symlinks: parents are followed only inside the root
// (targets rooted at the root, `..` clamped there), final components are never followed.
// CVE-2018-15664 (a symlink swapped in by a concurrent process between check and use) does not
// apply here: the applier is the only writer of the root while it runs, in a single process.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dir, file, hostile, lstatOrNull, symlink, type Entry } from '../helpers/layer-sandbox.ts';

test('CVE-2014-6407: relative symlink out of the root, then a write through it', async () => {
  await hostile([[symlink('escape', '../../target-dir'), file('escape/pwned', 'pwned')]], {
    check: ({ sb }) => {
      assert.equal(fs.readFileSync(sb.at('target-dir/pwned'), 'utf8'), 'pwned');
      assert.equal(fs.readlinkSync(sb.at('escape')), '../../target-dir'); // link text as given
    },
  });
});

test('CVE-2014-6407: symlink written in an earlier layer, write through it in a later one', async () => {
  await hostile([[symlink('escape', '../../target-dir')], [file('escape/victim', 'pwned')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('target-dir/victim'), 'utf8'), 'pwned'),
  });
});

test('CVE-2014-9356: absolute symlink target is rooted at the layer root', async () => {
  await hostile([[symlink('abs', '/TARGET'), file('abs/pwned', 'pwned')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('TARGET/pwned'), 'utf8'), 'pwned'),
  });
});

test('CVE-2014-9356: absolute symlink to the real outside directory path', async () => {
  // The sandbox path is only known after it exists: write the layer inside prepare.
  const sbLayers: Entry[][] = [[]];
  await hostile(
    sbLayers,
    {
      check: ({ sb }) => {
        assert.equal(lstatOrNull(path.join(sb.tmp, 'target-dir', 'pwned')), null);
        assert.equal(
          fs.readFileSync(sb.at(path.join(sb.tmp, 'target-dir', 'pwned')), 'utf8'),
          'pwned',
        );
      },
    },
    {
      prepare: (sb) => {
        sbLayers[0]!.push(
          symlink('abs', path.join(sb.tmp, 'target-dir')),
          file('abs/pwned', 'pwned'),
        );
      },
    },
  );
});

test('symlink chain out of the root (l1 -> l2 -> ../../../target-dir)', async () => {
  await hostile(
    [[symlink('l1', 'l2'), symlink('l2', '../../../target-dir'), file('l1/pwned', 'pwned')]],
    {
      check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('target-dir/pwned'), 'utf8'), 'pwned'),
    },
  );
});

test('symlink loop (a -> b, b -> a) used as a parent is refused', async () => {
  await hostile([[symlink('a', 'b'), symlink('b', 'a'), file('a/x', 'x')]], {
    code: 'ERR_BAD_TAR',
  });
});

test('self-referential absolute symlink (etc -> /etc) used as a parent is refused', async () => {
  await hostile([[symlink('etc', '/etc'), file('etc/passwd', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('very long symlink chain (300 hops) is refused', async () => {
  const entries: Entry[] = [dir('real/')];
  for (let i = 0; i < 300; i++) entries.push(symlink(`s${i}`, i === 299 ? 'real' : `s${i + 1}`));
  entries.push(file('s0/f', 'x'));
  await hostile([entries], { code: 'ERR_BAD_TAR' });
});

test('long but bounded symlink chain (100 hops) resolves inside the root', async () => {
  const entries: Entry[] = [dir('real/')];
  for (let i = 0; i < 100; i++) entries.push(symlink(`s${i}`, i === 99 ? '/real' : `s${i + 1}`));
  entries.push(file('s0/f', 'x'));
  await hostile([entries], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('real/f'), 'utf8'), 'x'),
  });
});

test('symlink to .. used repeatedly (up/up/outside-file) stays clamped at the root', async () => {
  await hostile([[symlink('up', '..'), file('up/up/outside-file', 'mine')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('outside-file'), 'utf8'), 'mine'),
  });
});

test('final-component symlink is never followed: symlink then file of the same name', async () => {
  await hostile([[symlink('x', '../outside-file'), file('x', 'pwned')]], {
    check: ({ sb }) => {
      assert.ok(fs.lstatSync(sb.at('x')).isFile());
      assert.equal(fs.readFileSync(sb.at('x'), 'utf8'), 'pwned');
    },
  });
});

test('directory entry over a symlink to an outside dir replaces the link (no chmod through it)', async () => {
  await hostile([[symlink('d', '../../target-dir'), dir('d/', { mode: 0o777, uid: 4242 })]], {
    check: ({ sb }) => {
      const st = fs.lstatSync(sb.at('d'));
      assert.ok(st.isDirectory());
      assert.equal(st.mode & 0o7777, 0o777);
    },
  });
});

test('dangling absolute symlink parent: missing dirs are created inside the root', async () => {
  await hostile([[symlink('d', '/nonexistent/deep'), file('d/f', 'x')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('nonexistent/deep/f'), 'utf8'), 'x'),
  });
});

test('symlink through a symlinked parent to a sibling of the box', async () => {
  await hostile(
    [[symlink('a', '/'), symlink('a/b', '../../..'), file('a/b/outside-file', 'mine')]],
    {
      check: ({ sb }) => {
        assert.equal(fs.readlinkSync(sb.at('b')), '../../..');
        assert.equal(fs.readFileSync(sb.at('outside-file'), 'utf8'), 'mine');
      },
    },
  );
});
