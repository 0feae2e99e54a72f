// TarParser's `rawHeaders: false` (what TarSum uses) changes nothing but leaving
// location.rawHeader empty: the same headers, contents, offsets and end, over archives with PAX,
// GNU long-name and global headers, whatever the chunking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TarDialect } from '../../src/archive/tar/index.ts';
import { TarParser } from '../../src/archive/tar/parser.ts';
import { fixture } from '../helpers/fixtures.ts';

const ARCHIVES: [string, TarDialect][] = [
  ['tarsum/xattr/layer.tar', 'go1.4'],
  ['tarsum/46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457/layer.tar', 'go1.4'],
  ['go-tar/pax.tar', 'modern'],
  ['go-tar/gnu-multi-hdrs.tar', 'modern'],
  ['go-tar/pax-multi-hdrs.tar', 'modern'],
  ['go-tar/pax-global-records.tar', 'modern'],
  ['go-tar/gnu-long-nul.tar', 'modern'],
];

/** Every event the parser reports, as comparable values. */
function events(bytes: Buffer, dialect: TarDialect, chunkSize: number, rawHeaders: boolean) {
  const seen: unknown[] = [];
  const parser = new TarParser(
    {
      entry: (header, location) => seen.push(['entry', header, location]),
      data: (chunk) => seen.push(['data', Buffer.from(chunk)]),
      entryEnd: () => seen.push(['entryEnd']),
      end: (info) => seen.push(['end', info]),
    },
    { dialect, rawHeaders },
  );
  for (let i = 0; i < bytes.length; i += chunkSize) parser.write(bytes.subarray(i, i + chunkSize));
  parser.end();
  return seen;
}

for (const [name, dialect] of ARCHIVES) {
  test(`rawHeaders: false reports the same events for ${name} (${dialect})`, () => {
    const bytes = readFileSync(fixture(...name.split('/')));
    for (const chunkSize of [1, 7, 512, bytes.length]) {
      const kept = events(bytes, dialect, chunkSize, true);
      const skipped = events(bytes, dialect, chunkSize, false);
      assert.ok(kept.some((e) => (e as unknown[])[0] === 'entry'));
      for (const event of kept) {
        const [kind, , location] = event as [string, unknown, { rawHeader: Buffer }];
        if (kind !== 'entry') continue;
        assert.ok(location.rawHeader.length >= 512); // kept by default
        location.rawHeader = Buffer.alloc(0);
      }
      assert.deepEqual(skipped, kept, `chunks of ${chunkSize}`);
    }
  });
}
