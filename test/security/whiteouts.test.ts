// Hostile whiteouts: `.wh.` names that map to `.`, `..` or nothing, whiteouts and opaque markers
// reached through symlinked parents, and AUFS metadata entries.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { dir, file, hostile, lstatOrNull, symlink, whiteout } from '../helpers/layer-sandbox.ts';

test('.wh... whiteout (target "..") is refused', async () => {
  await hostile([[dir('a/'), whiteout('a/.wh...')]], { code: 'ERR_BAD_TAR' });
});

test('.wh.. whiteout (target ".") is refused', async () => {
  await hostile([[dir('a/'), whiteout('a/.wh..')]], { code: 'ERR_BAD_TAR' });
});

test('.wh. whiteout (empty target) is refused', async () => {
  await hostile([[whiteout('.wh.')]], { code: 'ERR_BAD_TAR' });
});

test('top-level .wh... cannot remove the parent of the root', async () => {
  await hostile([[whiteout('.wh...')]], { code: 'ERR_BAD_TAR' });
});

test('whiteout with ../ in its directory is refused', async () => {
  await hostile([[whiteout('../.wh.outside-file')]], { code: 'ERR_BAD_TAR' });
});

test('whiteout through a symlinked parent pointing out removes nothing outside', async () => {
  await hostile([[symlink('up', '../..'), whiteout('up/.wh.outside-file')]], {});
});

test('whiteout through an absolute symlinked parent stays in scope', async () => {
  await hostile(
    [[dir('t/'), file('t/victim', 'v'), symlink('l', '/t'), whiteout('l/.wh.victim')]],
    {
      check: ({ sb }) => assert.equal(lstatOrNull(sb.at('t/victim')), null),
    },
  );
});

test('whiteout of a symlink to an outside dir removes only the link', async () => {
  await hostile([[symlink('x', '../../target-dir')], [whiteout('.wh.x')]], {
    check: ({ sb }) => assert.equal(lstatOrNull(sb.at('x')), null),
  });
});

test('opaque marker through a symlink to an outside dir deletes nothing outside', async () => {
  await hostile([[symlink('d', '../../target-dir'), whiteout('d/.wh..wh..opq')]], {});
});

test('opaque marker keeps what this layer created before it, drops the rest', async () => {
  await hostile(
    [
      [dir('d/'), file('d/old', 'o'), dir('d/sub/'), file('d/sub/deep', 'o')],
      [file('d/new', 'n'), whiteout('d/.wh..wh..opq'), file('d/after', 'a')],
    ],
    { check: ({ sb }) => assert.deepEqual(fs.readdirSync(sb.at('d')).sort(), ['after', 'new']) },
  );
});

test('AUFS metadata entries (.wh..wh.aufs, .wh..wh.plnk/*, .wh..wh.orph) are skipped', async () => {
  await hostile(
    [
      [
        file('.wh..wh.aufs', 'x'),
        dir('.wh..wh.plnk/'),
        file('.wh..wh.plnk/1.2', 'x'),
        dir('.wh..wh.orph/'),
      ],
    ],
    { check: ({ sb }) => assert.deepEqual(fs.readdirSync(sb.root), []) },
  );
});

test('whiteout of a missing path (and in a missing dir) is fine and creates nothing', async () => {
  await hostile([[whiteout('nope/.wh.x'), whiteout('.wh.y')]], {
    check: ({ sb }) => assert.deepEqual(fs.readdirSync(sb.root), []),
  });
});
