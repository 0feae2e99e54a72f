// The `system` bench fixture builder (support/fixtures/system.ts) on a small tree of its own: what
// it lists (name order; unreadable entries, FIFOs, left-out subtrees and files skipped), the tar
// GNU tar writes from that list (hard link and symlink entries, no per-entry pax header), the
// OCI layout's blobs and DiffIDs, and the cache key (reused when unchanged, rebuilt on a change).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ensureSystemFixture, type LayerSource } from '../../support/fixtures/system.ts';

const base = mkdtempSync(path.join(tmpdir(), 'shale-system-fixture-'));
after(() => rmSync(base, { recursive: true, force: true }));

const root = path.join(base, 'root');
const write = (rel: string, bytes: number, mode = 0o644) => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), Buffer.alloc(bytes, 0x61), { mode });
  chmodSync(path.join(root, rel), mode);
};
write('lib/b.so', 1000);
linkSync(path.join(root, 'lib/b.so'), path.join(root, 'lib/a.so')); // a.so is listed first
symlinkSync('b.so', path.join(root, 'lib/c.so'));
write('lib/d.a', 10); // static archive: left out
write('lib/huge.so', 5000); // over overBytes: left out
write('lib/secret', 10, 0o600); // no others' read bit
write('lib/private/inside', 10);
chmodSync(path.join(root, 'lib/private'), 0o700); // no others' search bit: it and all it holds
execFileSync('mkfifo', [path.join(root, 'lib/fifo')]);
write('share/doc/readme', 300);
utimesSync(path.join(root, 'share/doc/readme'), 1_700_000_000.25, 1_700_000_000.75);
write('share/skip/file', 10);

const layers: LayerSource[] = [
  { title: 'libs', paths: ['lib'], leaveOutFiles: { endingIn: ['.a'], overBytes: 4096 } },
  { title: 'data', paths: ['share'], leaveOut: ['share/skip'] },
];

async function build(): Promise<{
  fixture: Awaited<ReturnType<typeof ensureSystemFixture>>;
  log: string[];
}> {
  const log: string[] = [];
  const fixture = await ensureSystemFixture({
    dir: path.join(base, 'fixture'),
    root,
    layers,
    log: (m) => log.push(m),
  });
  return { fixture, log };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const listing = (tar: string) =>
  execFileSync('tar', ['-tvf', tar], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } })
    .trim()
    .split('\n')
    .map((line) => {
      const fields = line.split(/\s+/);
      return `${fields[0]!.charAt(0)} ${fields.slice(5).join(' ')}`;
    });

test('builds the layers from the listed trees, with their counts, blobs and DiffIDs', async () => {
  const { fixture, log } = await build();
  assert.ok(log.some((m) => m.startsWith('building')));
  assert.deepEqual(listing(fixture.abs(fixture.layers[0]!.tar)), [
    'd lib/',
    '- lib/a.so',
    'h lib/b.so link to lib/a.so',
    'l lib/c.so -> b.so',
  ]);
  assert.deepEqual(listing(fixture.abs(fixture.layers[1]!.tar)), [
    'd share/',
    'd share/doc/',
    '- share/doc/readme',
  ]);
  const [libs, data] = fixture.layers;
  assert.deepEqual(
    [libs!.files, libs!.hardLinks, libs!.symlinks, libs!.directories, libs!.contentBytes],
    [2, 1, 1, 1, 1000],
  );
  assert.equal(libs!.unreadableOrSpecial, 3); // secret, private/, fifo
  assert.deepEqual([data!.files, data!.directories, data!.contentBytes], [1, 2, 300]);
  // No extended header per entry: the sub-second mtime is whole seconds in the ustar header.
  const dataTar = readFileSync(fixture.abs(data!.tar));
  assert.ok(!dataTar.includes('PaxHeaders'));
  for (const layer of fixture.layers) {
    const tar = readFileSync(fixture.abs(layer.tar));
    assert.equal(layer.diffId, sha256(tar));
    const gz = readFileSync(fixture.abs(layer.blob!));
    assert.equal(layer.blobDigest, sha256(gz));
    assert.ok(execFileSync('gzip', ['-dc'], { input: gz }).equals(tar));
  }
  const config = JSON.parse(
    readFileSync(fixture.abs(`oci/blobs/sha256/${fixture.oci!.config.slice(7)}`), 'utf8'),
  ) as { rootfs: { diff_ids: string[] } };
  assert.deepEqual(
    config.rootfs.diff_ids,
    fixture.layers.map((l) => l.diffId),
  );
});

test('reuses the cached fixture while the trees are unchanged, rebuilds after a change', async () => {
  const first = await build();
  assert.ok(first.log.some((m) => m.startsWith('reusing')));
  utimesSync(path.join(root, 'share/doc/readme'), 1_700_000_100, 1_700_000_100);
  const second = await build();
  assert.ok(second.log.some((m) => m.startsWith('building')));
  assert.equal(second.fixture.layers[0]!.diffId, first.fixture.layers[0]!.diffId);
  assert.notEqual(second.fixture.layers[1]!.diffId, first.fixture.layers[1]!.diffId);
});
