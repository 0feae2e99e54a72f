// fsck --repair against a real registry: a pulled image with a flipped byte, a deleted blob, a
// garbage index.json, a dangling reference and abandoned leftovers is found, repaired (blobs
// fetched again from the repository they came from) and then checks clean, unpacking to the same
// tree; a loaded image's corrupt blob (no known source) is quarantined, reported, exit 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { snapshot } from '../helpers/changes-tree.ts';
import { publish } from '../helpers/publish.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale } from '../helpers/shale.ts';
import { buildSmallFixture } from '../helpers/small-fixture.ts';

let registry: TestRegistry;
let work: string;
let layout: string;
let ref: string;

before(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-fsck-repair-'));
  layout = path.join(work, 'small');
  await buildSmallFixture(layout);
  registry = await startRegistry();
  ref = `${registry.host}/fsck/small:v1`;
  await publish(path.join(layout, 'oci'), 'small', ref, 'v2s2');
});

after(async () => {
  await registry?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const blobFile = (root: string, digest: string) =>
  path.join(root, 'blobs', 'sha256', digest.slice('sha256:'.length));

/** The layer blobs of the image `name` names, from its manifest in the store. */
function layerBlobs(root: string, name: string): string[] {
  const index = JSON.parse(fs.readFileSync(path.join(root, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations: Record<string, string> }[];
  };
  const entry = index.manifests.find(
    (m) => m.annotations['org.opencontainers.image.ref.name'] === name,
  );
  assert.ok(entry, `${name} in index.json`);
  const manifest = JSON.parse(fs.readFileSync(blobFile(root, entry.digest), 'utf8')) as {
    layers: { digest: string }[];
  };
  return manifest.layers.map((l) => l.digest);
}

function flipByte(file: string): void {
  fs.chmodSync(file, 0o644);
  const bytes = fs.readFileSync(file);
  const middle = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
  fs.writeFileSync(file, bytes);
}

/** A file or directory last touched an hour ago: abandoned by any measure. */
function backdate(file: string): void {
  const hourAgo = new Date(Date.now() - 3600_000);
  fs.utimesSync(file, hourAgo, hourAgo);
}

const lines = (out: string) => out.split('\n').filter((l) => l !== '');
const hasLine = (out: string, pattern: RegExp) =>
  assert.ok(
    lines(out).some((l) => pattern.test(l)),
    `no line ${pattern} in:\n${out}`,
  );

test('fsck --repair fetches lost blobs again, drops what points at nothing, and leaves a clean store', () => {
  const root = path.join(work, 'store-pulled');
  shale(root, 'pull', '-q', ref);
  const before = path.join(work, 'tree-before');
  shale(root, 'unpack', ref, before);
  const [flipped, deleted] = layerBlobs(root, ref);
  assert.ok(flipped && deleted);

  flipByte(blobFile(root, flipped));
  fs.unlinkSync(blobFile(root, deleted));
  fs.writeFileSync(path.join(root, 'index.json'), '{"manifests": [garbage');
  const refsFile = path.join(root, 'shale', 'references.json');
  const refs = JSON.parse(fs.readFileSync(refsFile, 'utf8')) as {
    references: Record<string, { image: string }>;
  };
  const gone = `sha256:${'0'.repeat(64)}`;
  refs.references['example.com/gone:1'] = { image: gone };
  fs.writeFileSync(refsFile, JSON.stringify(refs));
  const scratch = path.join(root, 'shale', 'ingest', 'scratch-load-00112233aabbccdd');
  fs.mkdirSync(scratch);
  fs.writeFileSync(path.join(scratch, 'manifest.json'), '{}');
  backdate(scratch);
  const temp = path.join(root, 'shale', 'references.json.4242.0123456789ab.tmp');
  fs.writeFileSync(temp, '{"references"');
  backdate(temp);
  // push sessions: one older than a registry keeps an upload, one that can still be resumed
  const uploads = path.join(root, 'shale', 'uploads');
  fs.mkdirSync(uploads);
  const [staleSession, liveSession] = ['a', 'b'].map((c) =>
    path.join(uploads, `${c.repeat(64)}.json`),
  );
  fs.writeFileSync(staleSession!, '{}');
  fs.writeFileSync(liveSession!, '{}');
  const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600_000);
  fs.utimesSync(staleSession!, eightDaysAgo, eightDaysAgo);

  const check = runShale(['--root', root, 'fsck']);
  assert.equal(check.status, 1, check.stdout + check.stderr);
  hasLine(check.stdout, new RegExp(`^corrupt-blob ${flipped}: content hashes to sha256:`));
  hasLine(check.stdout, new RegExp(`^missing-blob ${deleted}: `));
  hasLine(check.stdout, /^bad-record index\.json: /);
  hasLine(check.stdout, new RegExp(`^missing-image example\\.com/gone:1: names image ${gone}`));
  hasLine(
    check.stdout,
    /^leftover shale\/ingest\/scratch-load-00112233aabbccdd: scratch of an interrupted command \(2B\)$/,
  );
  hasLine(check.stdout, /^leftover shale\/references\.json\.4242\.0123456789ab\.tmp: temp file /);
  hasLine(
    check.stdout,
    /^leftover shale\/uploads\/a{64}\.json: push session older than a registry keeps one /,
  );
  assert.doesNotMatch(check.stdout, /uploads\/b{64}/);

  const repair = runShale(['--root', root, 'fsck', '--repair']);
  assert.equal(repair.status, 0, repair.stdout + repair.stderr);
  const source = `${registry.host}/fsck/small`;
  hasLine(repair.stdout, new RegExp(`^quarantined ${flipped}: content hashes to sha256:`));
  hasLine(repair.stdout, new RegExp(`^fetched ${flipped}: from ${source}$`));
  hasLine(repair.stdout, new RegExp(`^fetched ${deleted}: from ${source}$`));
  hasLine(
    repair.stdout,
    /^removed example\.com\/gone:1: reference to image sha256:0+, not in the store$/,
  );
  hasLine(repair.stdout, /^rebuilt index\.json: from 2 references$/); // the tag and the pull's digest reference
  hasLine(
    repair.stdout,
    /^removed shale\/ingest\/scratch-load-00112233aabbccdd: scratch of an interrupted command \(2B\)$/,
  );
  hasLine(repair.stdout, /^removed shale\/references\.json\.4242\.0123456789ab\.tmp: temp file /);
  hasLine(repair.stdout, /^removed shale\/uploads\/a{64}\.json: push session /);
  assert.ok(fs.existsSync(liveSession!), 'a push session that can still be resumed is kept');
  assert.match(repair.stdout, /^checked \d+ blobs: \d+ problems, \d+ repairs, 0 not fixed$/m);
  assert.equal(repair.stderr, '');

  const again = runShale(['--root', root, 'fsck']);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /^checked \d+ blobs: no problems\n$/);
  // nothing deleted silently: the damaged bytes are kept in quarantine
  const quarantined = path.join(root, 'shale', 'quarantine', 'sha256', flipped.slice(7));
  assert.ok(fs.existsSync(quarantined), 'the corrupt blob is in quarantine');
  // the image is whole again: it unpacks to the same tree
  const after = path.join(work, 'tree-after');
  shale(root, 'unpack', ref, after);
  assert.deepEqual(snapshot(after), snapshot(before));
});

test('a corrupt blob no repository is known for: quarantined, reported, exit 1', () => {
  const root = path.join(work, 'store-loaded');
  shale(root, 'load', '-q', '-i', path.join(layout, 'oci'), '--name', 'fsck/loaded');
  const name = 'docker.io/fsck/loaded:small';
  const [flipped] = layerBlobs(root, name);
  assert.ok(flipped);
  const bad = fs.readFileSync(blobFile(root, flipped));
  flipByte(blobFile(root, flipped));
  const damaged = fs.readFileSync(blobFile(root, flipped));
  assert.notDeepEqual(damaged, bad);

  const repair = runShale(['--root', root, 'fsck', '--repair', '--json']);
  assert.equal(repair.status, 1, repair.stdout + repair.stderr);
  assert.equal(repair.stderr, '');
  const report = JSON.parse(repair.stdout) as {
    repairs: { action: string; object: string; message: string }[];
    left: unknown[];
  };
  const actionsOn = (object: string) => report.repairs.filter((a) => a.object === object);
  assert.deepEqual(
    actionsOn(flipped).map((a) => a.action),
    ['quarantined', 'not-fetched', 'removed'],
    JSON.stringify(report.repairs),
  );
  assert.equal(actionsOn(flipped)[1]!.message, 'no repository is known to hold it');
  // every record dropped for it is said, down to the reference
  assert.ok(report.repairs.some((a) => a.action === 'removed' && a.object === name));
  // the bytes are kept where the report says, unchanged
  const quarantined = path.join(root, 'shale', 'quarantine', 'sha256', flipped.slice(7));
  assert.deepEqual(fs.readFileSync(quarantined), damaged);
  const plain = runShale(['--root', root, 'fsck']);
  assert.equal(plain.status, 0, plain.stdout);
});
