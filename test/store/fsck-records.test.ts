// Damaged store records through the CLI: a garbage references.json is one clear `shale:` line from
// every verb (fsck still opens the store) and `fsck --repair` rebuilds it from index.json; image
// records that do not parse or disagree with their config are rebuilt from the config, or dropped
// when it is gone; a garbage layer record is dropped with its images, and importing them again
// restores them. Every damaged file is kept in shale/quarantine/records/, byte for byte.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runShale } from '../helpers/shale.ts';

let work: string;

before(() => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'shale-fsck-records-'));
});

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

/** A gzip rootfs tarball holding one file with `content`. */
function rootfsTar(name: string, content: string): string {
  const dir = path.join(work, `rootfs-${name}`);
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc', 'name'), content);
  const tgz = path.join(work, `${name}.tar.gz`);
  const tar = spawnSync('tar', ['-czf', tgz, '-C', dir, '.']);
  assert.equal(tar.status, 0, tar.stderr.toString());
  return tgz;
}

function shale(root: string, ...args: string[]): string {
  const r = runShale(['--root', root, ...args]);
  assert.equal(r.status, 0, `shale ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A store with images imported as `docker.io/t/NAME:v1`; their IDs by name. */
function storeWith(name: string, images: string[]): { root: string; ids: Map<string, string> } {
  const root = path.join(work, name);
  const ids = new Map<string, string>();
  for (const image of images)
    ids.set(image, shale(root, 'import', rootfsTar(image, `${image}\n`), `t/${image}:v1`).trim());
  return { root, ids };
}

const recordFile = (root: string, kind: 'images' | 'layers', digest: string) =>
  path.join(root, 'shale', kind, 'sha256', `${digest.slice('sha256:'.length)}.json`);

const lines = (out: string) => out.split('\n').filter((l) => l !== '');
function hasLine(out: string, pattern: RegExp): string {
  const found = lines(out).find((l) => pattern.test(l));
  assert.ok(found, `no line ${pattern} in:\n${out}`);
  return found;
}

/** The file a repair line says the damaged record is kept as, checked to hold `bytes`. */
function assertKept(root: string, line: string, bytes: Buffer): void {
  const kept = /kept as (shale\/quarantine\/records\/\S+?)\)?$/.exec(line)?.[1];
  assert.ok(kept, `no quarantine path in: ${line}`);
  assert.deepEqual(fs.readFileSync(path.join(root, kept)), bytes);
}

/** `shale images` as `REPOSITORY:TAG ID` lines, sorted. */
function listing(root: string): string[] {
  const out = shale(root, 'images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
  return lines(out).sort();
}

function assertClean(root: string): void {
  const check = runShale(['--root', root, 'fsck']);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^checked \d+ blobs: no problems\n$/);
}

const GARBAGE: [string, string][] = [
  ['not JSON', 'garbage\n{'],
  ['JSON of the wrong shape', '{"generation": 2, "references": ["docker.io/t/a:v1"]}'],
];

for (const [what, garbage] of GARBAGE) {
  test(`references.json ${what}: every verb says so clearly; fsck --repair rebuilds it from index.json`, () => {
    const { root, ids } = storeWith(`refs-${what.replace(/\W+/g, '-')}`, ['a', 'b', 'gone']);
    shale(root, 'tag', 't/a:v1', 't/a:also');
    const listed = listing(root);
    // An image index.json still names whose record is gone: its entry cannot be brought back.
    fs.unlinkSync(recordFile(root, 'images', ids.get('gone')!));
    const file = path.join(root, 'shale', 'references.json');
    fs.writeFileSync(file, garbage);

    const damaged = new RegExp(
      `^shale: store record ${file} is damaged \\(.+\\): run 'shale fsck --repair'$`,
    );
    for (const args of [
      ['images'],
      ['inspect', 't/a:v1'],
      ['tag', 't/b:v1', 't/b:v2'],
      ['rmi', 't/b:v1'],
      ['import', rootfsTar('c', 'c\n'), 't/c:v1'],
    ]) {
      const r = runShale(['--root', root, ...args]);
      assert.equal(r.status, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.equal(lines(r.stderr).length, 1, `${args[0]}: one line expected:\n${r.stderr}`);
      assert.match(r.stderr.trimEnd(), damaged, args[0]);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), garbage, 'a refused verb changed the file');

    const check = runShale(['--root', root, 'fsck']);
    assert.equal(check.status, 1, check.stdout + check.stderr);
    hasLine(check.stdout, /^bad-record references\.json: store record \S+ is damaged/);

    const repair = runShale(['--root', root, 'fsck', '--repair']);
    assert.equal(repair.status, 0, repair.stdout + repair.stderr);
    assert.equal(repair.stderr, '');
    const rebuilt = hasLine(
      repair.stdout,
      /^rebuilt references\.json: from index\.json, 3 references \(the damaged file is kept as /,
    );
    assertKept(root, rebuilt, Buffer.from(garbage));
    hasLine(
      repair.stdout,
      /^removed docker\.io\/t\/gone:v1: in index\.json, left out of the references: names manifest sha256:[0-9a-f]{64}, of no image in the store$/,
    );
    hasLine(repair.stdout, /^rebuilt index\.json: from 3 references$/);
    assert.deepEqual(
      listing(root),
      listed.filter((l) => !l.startsWith('t/gone:')),
    );
    assertClean(root);
  });
}

test('image records: damaged or disagreeing ones are rebuilt from their config, those without one dropped', () => {
  const { root, ids } = storeWith('images', ['garbled', 'disagrees', 'configless']);
  const listed = listing(root);
  const garbledFile = recordFile(root, 'images', ids.get('garbled')!);
  const garbledRecord = JSON.parse(fs.readFileSync(garbledFile, 'utf8')) as { topLayer: string };
  const garbled = Buffer.from('{"id": "sha256:');
  fs.writeFileSync(garbledFile, garbled);
  const disagreesFile = recordFile(root, 'images', ids.get('disagrees')!);
  const record = JSON.parse(fs.readFileSync(disagreesFile, 'utf8')) as Record<string, string>;
  const disagrees = Buffer.from(
    JSON.stringify({ ...record, topLayer: `sha256:${'1'.repeat(64)}` }),
  );
  fs.writeFileSync(disagreesFile, disagrees);
  const configless = ids.get('configless')!;
  const configlessRecord = Buffer.from('not a record');
  fs.writeFileSync(recordFile(root, 'images', configless), configlessRecord);
  fs.unlinkSync(path.join(root, 'blobs', 'sha256', configless.slice('sha256:'.length)));

  const check = runShale(['--root', root, 'fsck']);
  assert.equal(check.status, 1, check.stdout + check.stderr);
  hasLine(check.stdout, new RegExp(`^bad-record ${ids.get('garbled')}: image record: `));
  hasLine(check.stdout, new RegExp(`^mismatch ${ids.get('disagrees')}: config's DiffIDs give`));

  const repair = runShale(['--root', root, 'fsck', '--repair']);
  assert.equal(repair.status, 0, repair.stdout + repair.stderr);
  assertKept(
    root,
    hasLine(
      repair.stdout,
      new RegExp(`^rebuilt ${ids.get('garbled')}: damaged image record, from its config \\(`),
    ),
    garbled,
  );
  assertKept(
    root,
    hasLine(
      repair.stdout,
      new RegExp(
        `^rebuilt ${ids.get('disagrees')}: image record that disagrees with its config, from its config \\(`,
      ),
    ),
    disagrees,
  );
  assertKept(
    root,
    hasLine(
      repair.stdout,
      new RegExp(`^removed ${configless}: damaged image record: blob ${configless} is not in`),
    ),
    configlessRecord,
  );
  hasLine(
    repair.stdout,
    new RegExp(`^removed docker\\.io/t/configless:v1: reference to image ${configless}, not in`),
  );
  const rebuilt = JSON.parse(fs.readFileSync(garbledFile, 'utf8')) as Record<string, string>;
  assert.equal(rebuilt.id, ids.get('garbled'));
  assert.equal(rebuilt.topLayer, garbledRecord.topLayer);
  assert.deepEqual(
    listing(root),
    listed.filter((l) => !l.startsWith('t/configless:')),
  );
  assertClean(root);
  // the rebuilt images are whole: they save and unpack
  shale(root, 'unpack', 't/garbled:v1', path.join(work, 'garbled-tree'));
  assert.equal(
    fs.readFileSync(path.join(work, 'garbled-tree', 'etc', 'name'), 'utf8'),
    'garbled\n',
  );
});

test('a garbage layer record is dropped with the images on it; importing them again restores them', () => {
  const { root, ids } = storeWith('layers', ['kept', 'lost']);
  const listed = listing(root);
  const lost = ids.get('lost')!;
  const { topLayer } = JSON.parse(fs.readFileSync(recordFile(root, 'images', lost), 'utf8')) as {
    topLayer: string;
  };
  const layerFile = recordFile(root, 'layers', topLayer);
  const garbage = Buffer.from('{"chainId": 7}');
  fs.writeFileSync(layerFile, garbage);
  // every verb that reads it says what to do
  const inspect = runShale(['--root', root, 'inspect', 't/lost:v1']);
  assert.equal(inspect.status, 1, inspect.stdout + inspect.stderr);
  assert.match(inspect.stderr, /^shale: store record \S+ is damaged .*'shale fsck --repair'\n$/);

  const repair = runShale(['--root', root, 'fsck', '--repair']);
  assert.equal(repair.status, 0, repair.stdout + repair.stderr);
  assertKept(
    root,
    hasLine(repair.stdout, new RegExp(`^removed ${topLayer}: damaged layer record \\(kept as `)),
    garbage,
  );
  hasLine(repair.stdout, new RegExp(`^removed ${lost}: image whose layers are gone$`));
  hasLine(repair.stdout, new RegExp(`^removed docker\\.io/t/lost:v1: reference to image ${lost}`));
  assert.deepEqual(
    listing(root),
    listed.filter((l) => !l.startsWith('t/lost:')),
  );
  assertClean(root);
  shale(root, 'import', path.join(work, 'lost.tar.gz'), 't/lost:v1');
  const tags = (list: string[]) => list.map((l) => l.split(' ')[0]);
  assert.deepEqual(tags(listing(root)), tags(listed)); // an import is a new image: a new ID
  assertClean(root);
});
