// Verifying reads, through the CLI: a flipped byte in a stored blob (plain layer, gzip layer,
// config), a layer record whose DiffID was swapped, a garbage image record. Every verb that hands
// bytes on (unpack, checkout, save, push) exits 1 with a `shale:` line naming the damage and
// `shale fsck --repair`, never a stack and never a wrong file; listings report the bad image and
// list the rest. A damaged blob goes to quarantine, and pulling or loading again restores it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runShale, type ShaleRun } from '../helpers/shale.ts';

let registry: TestRegistry; // holds the good image, to pull again from
let target: TestRegistry; // pushes of damaged images go here
let work: string;
let rootfsTar: string;
let otherTar: string;
let archive: string; // a docker-archive of the good image, to load again from
let PLAIN: string;
const OTHER = 'example.com/verify/other:1';
const DATA_BYTES = 256 * 1024;

function shale(root: string, ...args: string[]): ShaleRun {
  return runShale(['--root', root, ...args]);
}

function ok(r: ShaleRun): ShaleRun {
  assert.equal(r.status, 0, r.stderr);
  return r;
}

/** Exit 1 with one clear `shale:` line matching `reason`: no stack, nothing on stdout. */
function refused(r: ShaleRun, reason: RegExp): void {
  assert.equal(r.status, 1, `expected exit 1, got ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /^shale: /m);
  assert.match(r.stderr, reason);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error|ZodError|SyntaxError/);
}

const DAMAGED_BLOB = /blob sha256:[0-9a-f]{64} in the store is damaged .*shale fsck --repair/;
const DAMAGED_RECORD = /store record \S+ is damaged .*shale fsck --repair/;

function makeRootfs(dir: string, fill: string): string {
  const rootfs = path.join(dir, `rootfs-${fill}`);
  mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  writeFileSync(path.join(rootfs, 'etc', 'hostname'), `${fill}\n`);
  writeFileSync(path.join(rootfs, 'data'), Buffer.alloc(DATA_BYTES, fill));
  const tar = path.join(dir, `rootfs-${fill}.tar`);
  const r = spawnSync('tar', ['-cf', tar, '-C', rootfs, '.']);
  assert.equal(r.status, 0, r.stderr.toString());
  return tar;
}

function freshRoot(): string {
  return path.join(mkdtempSync(path.join(work, 'store-')), 'root');
}

function blobFile(root: string, digest: string): string {
  return path.join(root, 'blobs', 'sha256', digest.replace('sha256:', ''));
}

function quarantined(root: string, digest: string): boolean {
  const hex = digest.replace('sha256:', '');
  return (
    !existsSync(blobFile(root, digest)) &&
    existsSync(path.join(root, 'shale', 'quarantine', 'sha256', hex))
  );
}

/** Flip one byte of a file in place (the tests run as the store's owner, or root). */
function flipByte(file: string, offset: number): void {
  const bytes = readFileSync(file);
  bytes[offset]! ^= 0x20;
  writeFileSync(file, bytes);
}

function inspect(root: string, ref: string): { Id: string; RootFS: { Layers: string[] } } {
  return (JSON.parse(ok(shale(root, 'inspect', ref)).stdout) as never)[0];
}

/** A store holding PLAIN with its layer a plain (uncompressed) blob, loaded, and OTHER. */
function plainStore(): { root: string; layer: string; id: string } {
  const root = freshRoot();
  ok(shale(root, 'load', '-q', '-i', archive));
  ok(shale(root, 'import', otherTar, OTHER));
  const { Id, RootFS } = inspect(root, PLAIN);
  return { root, layer: RootFS.Layers[0]!, id: Id };
}

/** A store holding PLAIN as pulled: its layer a gzip blob. */
function gzipStore(): { root: string; blob: string } {
  const root = freshRoot();
  ok(shale(root, 'pull', '-q', PLAIN));
  const gzip = readdirSync(path.join(root, 'blobs', 'sha256')).filter((hex) => {
    const head = readFileSync(path.join(root, 'blobs', 'sha256', hex)).subarray(0, 2);
    return head[0] === 0x1f && head[1] === 0x8b;
  });
  assert.equal(gzip.length, 1);
  return { root, blob: `sha256:${gzip[0]}` };
}

/** The middle of the `data` file's bytes in the plain layer tar: a silent change to its content. */
function dataOffset(file: string): number {
  const tar = readFileSync(file);
  const at = tar.indexOf(Buffer.alloc(512, 'p'));
  assert.ok(at > 0);
  return at + DATA_BYTES / 2;
}

async function manifestStatus(reg: TestRegistry, repo: string): Promise<number> {
  const res = await fetch(`http://${reg.host}/v2/${repo}/manifests/1`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  await res.arrayBuffer();
  return res.status;
}

function unpackedData(root: string, ref: string): Buffer {
  const dir = path.join(mkdtempSync(path.join(work, 'out-')), 'tree');
  ok(shale(root, 'unpack', ref, dir));
  return readFileSync(path.join(dir, 'data'));
}

before(async () => {
  registry = await startRegistry();
  target = await startRegistry();
  work = mkdtempSync(path.join(tmpdir(), 'shale-verify-'));
  rootfsTar = makeRootfs(work, 'p');
  otherTar = makeRootfs(work, 'o');
  PLAIN = `${registry.host}/verify/plain:1`;
  const golden = freshRoot();
  ok(shale(golden, 'import', rootfsTar, PLAIN));
  ok(shale(golden, 'push', PLAIN));
  archive = path.join(work, 'plain.tar');
  ok(shale(golden, 'save', '-o', archive, PLAIN));
});

after(async () => {
  await registry?.stop();
  await target?.stop();
});

test('a flipped byte in a plain layer blob: unpack, checkout, save and push fail; load restores it', async () => {
  for (const verb of ['unpack', 'checkout', 'save', 'push'] as const) {
    const { root, layer } = plainStore();
    flipByte(blobFile(root, layer), dataOffset(blobFile(root, layer)));
    const out = path.join(mkdtempSync(path.join(work, 'out-')), 'dest');
    const r =
      verb === 'save'
        ? shale(root, 'save', '-o', out, PLAIN)
        : verb === 'push'
          ? shale(root, 'push', PLAIN, `${target.host}/verify/plain-${verb}:1`)
          : shale(root, verb, PLAIN, out);
    refused(r, DAMAGED_BLOB);
    assert.match(r.stderr, new RegExp(layer));
    assert.ok(quarantined(root, layer), `${verb} quarantined the blob`);
    assert.ok(!existsSync(out), `${verb} left nothing at ${out}`);
    if (verb === 'push') assert.equal(await manifestStatus(target, `verify/plain-${verb}`), 404);
    // the next load brings the blob back, and the image works again
    ok(shale(root, 'load', '-q', '-i', archive));
    assert.ok(existsSync(blobFile(root, layer)));
    assert.deepEqual(unpackedData(root, PLAIN), Buffer.alloc(DATA_BYTES, 'p'));
  }
});

test('a flipped byte in a gzip layer blob: unpack, checkout, save and push fail; pull restores it', async () => {
  for (const verb of ['unpack', 'checkout', 'save', 'push'] as const) {
    const { root, blob } = gzipStore();
    flipByte(blobFile(root, blob), Math.floor(readFileSync(blobFile(root, blob)).length / 2));
    const out = path.join(mkdtempSync(path.join(work, 'out-')), 'dest');
    const r =
      verb === 'save'
        ? shale(root, 'save', '-o', out, PLAIN)
        : verb === 'push'
          ? shale(root, 'push', PLAIN, `${target.host}/verify/gzip-${verb}:1`)
          : shale(root, verb, PLAIN, out);
    refused(r, DAMAGED_BLOB);
    assert.ok(quarantined(root, blob), `${verb} quarantined the blob`);
    assert.ok(!existsSync(out), `${verb} left nothing at ${out}`);
    if (verb === 'push') assert.equal(await manifestStatus(target, `verify/gzip-${verb}`), 404);
    ok(shale(root, 'pull', '-q', PLAIN));
    assert.ok(existsSync(blobFile(root, blob)), 'the pull fetched the blob again');
    assert.deepEqual(unpackedData(root, PLAIN), Buffer.alloc(DATA_BYTES, 'p'));
  }
});

test('a truncated or deleted gzip layer blob: unpack, checkout, save and push fail clearly; pull restores it', async () => {
  const damage = {
    truncated: (file: string) => {
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    },
    deleted: (file: string) => rmSync(file),
  };
  for (const [how, harm] of Object.entries(damage)) {
    for (const verb of ['unpack', 'checkout', 'save', 'push'] as const) {
      const { root, blob } = gzipStore();
      harm(blobFile(root, blob));
      const out = path.join(mkdtempSync(path.join(work, 'out-')), 'dest');
      const r =
        verb === 'save'
          ? shale(root, 'save', '-o', out, PLAIN)
          : verb === 'push'
            ? shale(root, 'push', PLAIN, `${target.host}/verify/${how}-${verb}:1`)
            : shale(root, verb, PLAIN, out);
      refused(
        r,
        how === 'truncated' ? DAMAGED_BLOB : /(has no blob|is not) in the store.*fsck --repair/,
      );
      assert.ok(!existsSync(out), `${how}: ${verb} left nothing at ${out}`);
      if (verb === 'push') assert.equal(await manifestStatus(target, `verify/${how}-${verb}`), 404);
      ok(shale(root, 'pull', '-q', PLAIN));
      assert.deepEqual(unpackedData(root, PLAIN), Buffer.alloc(DATA_BYTES, 'p'));
    }
  }
});

test('a flipped byte in a stored manifest: push and fsck find it; pull restores it', async () => {
  const { root } = gzipStore();
  const id = inspect(root, PLAIN).Id;
  const record = JSON.parse(
    readFileSync(path.join(root, 'shale', 'images', 'sha256', `${id.slice(7)}.json`), 'utf8'),
  ) as { manifest: { digest: string } };
  const manifest = record.manifest.digest;
  flipByte(blobFile(root, manifest), 20);
  refused(shale(root, 'push', PLAIN, `${target.host}/verify/manifest:1`), DAMAGED_BLOB);
  assert.ok(quarantined(root, manifest));
  assert.equal(await manifestStatus(target, 'verify/manifest'), 404);
  ok(shale(root, 'pull', '-q', PLAIN));
  assert.ok(existsSync(blobFile(root, manifest)), 'the pull stored the manifest again');
  ok(shale(root, 'push', PLAIN, `${target.host}/verify/manifest:1`));
  ok(shale(root, 'fsck'));
});

test('a flipped byte in a config: save, inspect and history fail, images lists the rest', () => {
  const { root, id } = plainStore();
  flipByte(blobFile(root, id), 10);
  const listed = shale(root, 'images', '--format', '{{.Repository}}');
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(listed.stdout, 'example.com/verify/other\n');
  assert.match(listed.stderr, /^shale: warning: image sha256:[0-9a-f]{64} is not listed: blob /m);
  assert.match(listed.stderr, DAMAGED_BLOB);
  assert.ok(quarantined(root, id));
  const out = path.join(work, 'config-save.tar');
  // once in quarantine, a read of the blob says so
  const QUARANTINED =
    /blob sha256:[0-9a-f]{64} was found damaged and is in quarantine: run 'shale fsck --repair'/;
  refused(shale(root, 'save', '-o', out, PLAIN), QUARANTINED);
  assert.ok(!existsSync(out));
  refused(shale(root, 'inspect', PLAIN), QUARANTINED);
  refused(shale(root, 'history', PLAIN), QUARANTINED);
  // a fresh store: the damaged config is met first by save itself
  const second = plainStore();
  flipByte(blobFile(second.root, second.id), 10);
  refused(shale(second.root, 'save', '-o', out, PLAIN), DAMAGED_BLOB);
  assert.ok(!existsSync(out));
  ok(shale(second.root, 'load', '-q', '-i', archive));
  assert.equal(inspect(second.root, PLAIN).Id, second.id);
});

test('a layer record whose DiffID was swapped with another: unpack and inspect refuse it', () => {
  const { root, layer } = plainStore();
  const other = inspect(root, OTHER).RootFS.Layers[0]!;
  const recordOf = (chainId: string) =>
    path.join(root, 'shale', 'layers', 'sha256', `${chainId.slice(7)}.json`);
  const mine = JSON.parse(readFileSync(recordOf(layer), 'utf8')) as Record<string, unknown>;
  const theirs = JSON.parse(readFileSync(recordOf(other), 'utf8')) as Record<string, unknown>;
  writeFileSync(recordOf(layer), JSON.stringify({ ...mine, diffId: theirs.diffId }));
  writeFileSync(recordOf(other), JSON.stringify({ ...theirs, diffId: mine.diffId }));
  const dir = path.join(work, 'swapped');
  refused(shale(root, 'unpack', PLAIN, dir), DAMAGED_RECORD);
  assert.ok(!existsSync(dir));
  refused(shale(root, 'inspect', PLAIN), DAMAGED_RECORD);
  const listed = shale(root, 'images');
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(listed.stderr.match(/^shale: warning: .*store record .* is damaged/gm)?.length, 2);
});

test('a garbage image record: images lists the rest, inspect and history say which record', () => {
  const { root, id } = plainStore();
  const record = path.join(root, 'shale', 'images', 'sha256', `${id.slice(7)}.json`);
  writeFileSync(record, '{"id": "sha256:not a digest", garbage');
  const listed = shale(root, 'images', '--format', '{{.Repository}}:{{.Tag}}');
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(listed.stdout, `${OTHER}\n`);
  assert.ok(listed.stderr.includes(`store record ${record} is damaged`), listed.stderr);
  for (const verb of ['inspect', 'history']) {
    const r = shale(root, verb, PLAIN);
    refused(r, DAMAGED_RECORD);
    assert.ok(r.stderr.includes(record));
  }
  refused(shale(root, 'unpack', PLAIN, path.join(work, 'garbage')), DAMAGED_RECORD);
  // a valid record naming another image is refused too
  writeFileSync(record, JSON.stringify({ id: inspect(root, OTHER).Id, added: 'x' }));
  refused(shale(root, 'inspect', PLAIN), /store record .* is damaged \(it names image/);
});
