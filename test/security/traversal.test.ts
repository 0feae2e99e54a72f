// Hostile layers that try to climb out of the root through entry names (`..`, absolute paths,
// string-prefix siblings, implied parent directories, NUL bytes).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  END,
  dir,
  file,
  hostile,
  lstatOrNull,
  rawEntry,
  symlink,
} from '../helpers/layer-sandbox.ts';

test('dot-dot name ../outside-file is refused', async () => {
  await hostile([[file('../outside-file', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('nested dot-dot a/../../outside-file is refused', async () => {
  await hostile([[dir('a/'), file('a/../../outside-file', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('deep dot-dot a/b/c/../../../../x is refused', async () => {
  await hostile([[file('a/b/c/../../../../x', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('./../ prefix is refused', async () => {
  await hostile([[file('./../outside-file', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('absolute name /../../outside-file is refused (no clamping of ..)', async () => {
  await hostile([[file('/../../outside-file', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('absolute name /etc/passwd is rooted at the layer root', async () => {
  await hostile([[file('/etc/passwd', 'root::0:0::/:/bin/sh\n')]], {
    check: ({ sb }) => {
      assert.equal(fs.readFileSync(sb.at('etc/passwd'), 'utf8'), 'root::0:0::/:/bin/sh\n');
    },
  });
});

test('lexical dot-dot that stays inside (a/../b) is applied as b', async () => {
  await hostile([[file('a/../b', 'ok')]], {
    check: ({ sb }) => {
      assert.equal(fs.readFileSync(sb.at('b'), 'utf8'), 'ok');
      assert.equal(lstatOrNull(sb.at('a')), null);
    },
  });
});

test('string-prefix containment: ../root-evil/f (the /dest-evil sibling of /dest) is refused', async () => {
  await hostile([[file('../root-evil/f', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('string-prefix containment: symlink to ../root-evil lands inside the root', async () => {
  await hostile([[symlink('evil', '../root-evil'), file('evil/f', 'mine')]], {
    check: ({ sb }) => {
      assert.equal(fs.readFileSync(sb.at('root-evil/f'), 'utf8'), 'mine');
    },
  });
});

test('implied parent dirs: ../newdir/sub/file creates nothing before the refusal', async () => {
  await hostile([[file('../newdir/sub/file', 'pwned')]], {
    code: 'ERR_BAD_TAR',
    check: ({ sb }) => assert.equal(lstatOrNull(path.join(sb.box, 'newdir')), null),
  });
});

test('implied parent dirs inside the root are created (mode 0755)', async () => {
  await hostile([[file('p/q/r', 'deep')]], {
    check: ({ sb }) => {
      assert.equal(fs.lstatSync(sb.at('p/q')).mode & 0o7777, 0o755);
      assert.equal(fs.readFileSync(sb.at('p/q/r'), 'utf8'), 'deep');
    },
  });
});

test('NUL byte in a PAX path is refused', async () => {
  const name = 'ok\0/../../outside-file';
  const record = (k: string, v: string) => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (`${len}${body}`.length !== len) len++;
    return `${len}${body}`;
  };
  const pax = Buffer.from(record('path', name), 'latin1');
  const tar = Buffer.concat([
    rawEntry({ name: 'PaxHeaders/x', typeflag: 'x' }, pax),
    rawEntry({ name: 'placeholder' }, Buffer.from('pwned')),
    END,
  ]);
  await hostile([tar], { code: 'ERR_BAD_TAR' });
});

test('backslash name ..\\outside-file is a plain file name on Linux', async () => {
  await hostile([[file('..\\outside-file', 'literal')]], {
    check: ({ sb }) => assert.equal(fs.readFileSync(sb.at('..\\outside-file'), 'utf8'), 'literal'),
  });
});

test('a non-directory entry naming the root itself (".") is refused', async () => {
  await hostile([[file('./', 'pwned')]], { code: 'ERR_BAD_TAR' });
});

test('parent component that is a regular file is refused', async () => {
  await hostile([[file('f', 'plain'), file('f/child', 'x')]], { code: 'ERR_BAD_TAR' });
});
