// Unit test of the benchmark cases' shape (bench/cases/): no process runs, no service starts.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { caseHead, freshStoreSide } from '../../bench/cases/common.ts';
import { CASE_NAMES, servicesFor } from '../../bench/cases/index.ts';
import { mirrorPullCase } from '../../bench/cases/mirror.ts';
import { loadOciCase } from '../../bench/cases/oci-archive.ts';
import type { BenchImage } from '../../bench/lib/image.ts';
import type { Services } from '../../bench/lib/services.ts';
import { isMissing } from '../../bench/lib/side.ts';

/** Never created: the cases only name paths under it. */
const WORK = path.join(tmpdir(), 'shale-bench-cases-test', 'tiny');

const image = {
  name: 'tiny',
  tag: 'tiny',
  localRef: 'bench/tiny:tiny',
  work: WORK,
  ociArchive: path.join(WORK, 'image.oci.tar'),
  tarBytes: 300,
  gzBytes: 100,
  shale: (...args: string[]) => ['node', 'cli.js', ...args],
} as unknown as BenchImage;

test('caseHead counts MB/s on the tars or the blobs', () => {
  assert.deepEqual(caseHead('x', image, 'title', 'tar', ['/in']), {
    name: 'x',
    fixture: 'tiny',
    title: 'title',
    basis: 'tar',
    basisBytes: 300,
    inputs: ['/in'],
  });
  assert.equal(caseHead('x', image, 'title', 'gz', []).basisBytes, 100);
});

test('freshStoreSide runs shale on the given store', () => {
  const side = freshStoreSide('label', image, '/s', ['load', '-i', 'A']);
  assert.equal(side.label, 'label');
  assert.deepEqual(side.commands(), [['node', 'cli.js', '--root', '/s', 'load', '-i', 'A']]);
  assert.ok(side.prepare && side.finish);
});

test('load-oci: shale loads the oci-archive, skopeo copies it to an OCI layout', () => {
  assert.ok(CASE_NAMES.includes('load-oci'));
  assert.deepEqual(servicesFor(['load-oci']), { registry: false, docker: false, podman: false });
  const c = loadOciCase(image);
  assert.equal(c.name, 'load-oci');
  assert.deepEqual(c.inputs, [image.ociArchive]);
  assert.equal(c.basisBytes, image.gzBytes);
  assert.deepEqual(c.shale.commands(), [
    [
      ...['node', 'cli.js', '--root', path.join(WORK, 'load-oci-store'), 'load'],
      ...['-i', image.ociArchive, '--name', 'bench/tiny'],
    ],
  ]);
  assert.equal(c.peers.length, 1);
  const peer = c.peers[0]!;
  if (isMissing(peer)) {
    assert.equal(peer.missing, 'skopeo not installed');
    return;
  }
  const [argv] = peer.commands();
  assert.equal(argv![0], 'skopeo');
  assert.ok(argv!.includes('--tmpdir'));
  assert.deepEqual(argv!.slice(-2), [
    `oci-archive:${image.ociArchive}`,
    `oci:${path.join(WORK, 'load-oci-layout')}:tiny`,
  ]);
});

test('mirror-pull: shale pulls through the mirror its registries.conf names, the peer from the origin', () => {
  assert.ok(CASE_NAMES.includes('mirror-pull'));
  assert.equal(servicesFor(['mirror-pull']).registry, true);
  const none = { missing: { registry: 'docker-registry not installed' } } as unknown as Services;
  assert.deepEqual(mirrorPullCase(image, none), {
    name: 'mirror-pull',
    fixture: 'tiny',
    skipped: 'docker-registry not installed',
  });
  const fixture = { oci: { config: 'sha256:c' }, layers: [{ blobDigest: 'sha256:l' }] };
  const remote = { ...image, fixture, remoteRef: '127.0.0.1:5000/bench/tiny:tiny' } as BenchImage;
  const services = { registry: { host: '127.0.0.1:5000', storageDir: '/r' }, missing: {} };
  const c = mirrorPullCase(remote, services as unknown as Services);
  assert.ok(!('skipped' in c));
  assert.deepEqual(c.inputs, ['/r']);
  const dir = path.join(WORK, 'mirror');
  const pull = (conf: string, store: string) => [
    ...['node', 'cli.js', '--registries-conf', path.join(dir, conf)],
    ...['--root', path.join(dir, store), 'pull', '-q', remote.remoteRef],
  ];
  assert.deepEqual(c.shale.commands(), [pull('registries.conf', 'store')]);
  assert.equal(c.peers.length, 1);
  const peer = c.peers[0]!;
  assert.ok(!isMissing(peer));
  assert.deepEqual(peer.commands(), [pull('no-mirrors.conf', 'direct-store')]);
  assert.ok(c.setup && c.teardown && c.shale.finish && peer.finish);
});
