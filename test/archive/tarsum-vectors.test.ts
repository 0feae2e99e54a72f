// The 44 TarSum vectors of moby's tarsum tests (test/fixtures/tarsum/expected.json), through the
// real reader: file cases read the stored layer.tar; synthetic cases are written by our tar
// writer from the listed header fields and read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { TarWriter, utf8ToByteString } from '../../src/archive/tar/index.ts';
import { tarsum, type TarsumVariant, versionOfTarsum } from '../../src/archive/tarsum/index.ts';
import { fixture } from '../helpers/fixtures.ts';

interface SyntheticEntry {
  header: {
    name: string;
    mode: number;
    uid: number;
    gid: number;
    size: number;
    mtime: number;
    typeflag: string;
    linkname: string;
    uname: string;
    gname: string;
    devmajor: number;
    devminor: number;
    xattrs: Record<string, string>;
  };
  data: { utf8: string } | { zeros: number };
}

interface Case {
  id: string;
  kind: 'file' | 'synthetic';
  layer?: string;
  extraFile?: string | null;
  version: string;
  hash: string;
  variant: 'both' | 'docker-2015' | 'moby-2018+';
  entries?: SyntheticEntry[];
  expected: string;
}

const { cases } = JSON.parse(readFileSync(fixture('tarsum', 'expected.json'), 'utf8')) as {
  cases: Case[];
};

function variantsOf(c: Case): TarsumVariant[] {
  if (c.variant === 'both') return ['2015', '2018'];
  return c.variant === 'docker-2015' ? ['2015'] : ['2018'];
}

function* zeros(n: number): Generator<Buffer> {
  const block = Buffer.alloc(64 * 1024);
  for (let left = n; left > 0; left -= block.length)
    yield left >= block.length ? block : block.subarray(0, left);
}

function syntheticTar(entries: SyntheticEntry[]): AsyncIterable<Buffer> {
  const writer = new TarWriter();
  void (async () => {
    for (const { header: h, data } of entries) {
      const body = 'utf8' in data ? Buffer.from(data.utf8, 'utf8') : zeros(data.zeros);
      const xattrs = new Map(
        Object.entries(h.xattrs).map(([k, v]) => [utf8ToByteString(k), Buffer.from(v, 'utf8')]),
      );
      await writer.add({ ...h, name: utf8ToByteString(h.name), xattrs }, body);
    }
    await writer.finish();
  })();
  return writer.stream;
}

test('the fixture holds all 44 TarSum cases', () => {
  assert.equal(cases.length, 44);
});

for (const c of cases) {
  for (const variant of variantsOf(c)) {
    test(`tarsum ${c.id} (variant ${variant})`, async () => {
      const version = versionOfTarsum(c.version);
      const extra = c.extraFile ? readFileSync(fixture('tarsum', c.extraFile)) : undefined;
      const source =
        c.kind === 'file'
          ? createReadStream(fixture('tarsum', c.layer!))
          : syntheticTar(c.entries!);
      const sum = await tarsum(source, { version, variant, hash: c.hash, extra });
      assert.equal(sum, c.expected);
    });
  }
}
