// Every entry exposes its raw metadata bytes and offsets: concatenating rawHeader, content and
// padding of each entry, then the end marker, rebuilds the original archive byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { readTar, type TarDialect } from '../../src/archive/tar/index.ts';
import { fixture } from '../helpers/fixtures.ts';

const ARCHIVES: [string, TarDialect][] = [
  ['tarsum/46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457/layer.tar', 'go1.4'],
  ['tarsum/511136ea3c5a64f264b78b5433614aec563103b4d4702f3ba7d4d2698e22c158/layer.tar', 'go1.4'],
  ['tarsum/xattr/layer.tar', 'go1.4'],
  ['go-tar/gnu.tar', 'modern'],
  ['go-tar/pax.tar', 'modern'],
  ['go-tar/xattrs.tar', 'modern'],
  ['go-tar/gnu-multi-hdrs.tar', 'modern'],
  ['go-tar/pax-multi-hdrs.tar', 'modern'],
  ['go-tar/pax-global-records.tar', 'modern'],
  ['go-tar/pax-global-records.tar', 'go1.4'],
  ['go-tar/gnu-long-nul.tar', 'modern'],
  ['go-tar/v7.tar', 'modern'],
  ['go-tar/star.tar', 'go1.4'],
  ['go-tar/hdr-only.tar', 'modern'],
];

async function rebuild(bytes: Buffer, dialect: TarDialect, chunkSize: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const parts: Buffer[] = [];
  let end = 0;
  for await (const entry of readTar(Readable.from(chunks), { dialect })) {
    const { location } = entry;
    assert.equal(
      location.headerOffset,
      end,
      `${entry.header.name} starts where the previous entry ended`,
    );
    parts.push(location.rawHeader);
    assert.equal(location.dataOffset, location.headerOffset + location.rawHeader.length);
    let size = 0;
    for await (const chunk of entry.body) {
      parts.push(Buffer.from(chunk));
      size += chunk.length;
    }
    parts.push(
      bytes.subarray(location.dataOffset + size, location.dataOffset + size + location.paddingSize),
    );
    end = location.dataOffset + size + location.paddingSize;
  }
  parts.push(bytes.subarray(end));
  return Buffer.concat(parts);
}

for (const [file, dialect] of ARCHIVES) {
  test(`raw headers and offsets rebuild ${file} (${dialect})`, async () => {
    const bytes = readFileSync(fixture(file));
    for (const chunkSize of [1, 7, 512, 1 << 20]) {
      const rebuilt = await rebuild(bytes, dialect, chunkSize);
      assert.ok(rebuilt.equals(bytes), `chunks of ${chunkSize}`);
    }
  });
}
