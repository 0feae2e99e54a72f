// The readers' fast paths against the streaming path. readTar hands over a body that lies inside
// the chunk already read without reading again, and TarSum hashes an entry that fits its scratch
// buffer in one call; both must give exactly what the byte-at-a-time streaming path gives (the
// same entries, bodies and errors, the same sums), for archives fed whole, in 1-, 7- and 512-byte
// chunks and at random sizes, intact, truncated or corrupted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readTar, type TarDialect, type TarEntry } from '../../src/archive/tar/index.ts';
import { checksum } from '../../src/archive/tar/block.ts';
import { tarsum } from '../../src/archive/tarsum/index.ts';
import { tarBytes } from '../../support/tar-bytes.ts';
import {
  asAsync,
  chunksOf,
  classify,
  parseWith,
  readWith,
  type Chunking,
} from '../helpers/fuzz-tar.ts';

const entryArb = fc.record({
  name: fc.stringMatching(/^[a-z0-9._-]{1,12}(\/[a-z0-9._-]{1,12}){0,3}$/),
  typeflag: fc.constantFrom('0', '0', '0', '5', '2'),
  // Mostly small bodies (the fast paths), sometimes bigger than a chunk or TarSum's scratch.
  size: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 3000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 70_000 }) },
  ),
  seed: fc.integer({ min: 0, max: 255 }),
  xattr: fc.boolean(),
});

type Damage = { kind: 'none' } | { kind: 'truncate' | 'flip'; at: number; bits: number };
const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.constant<Damage>({ kind: 'none' }),
  fc.record({
    kind: fc.constantFrom<'truncate' | 'flip'>('truncate', 'flip'),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bits: fc.integer({ min: 1, max: 255 }),
  }),
);

type Entry = typeof entryArb extends fc.Arbitrary<infer T> ? T : never;

async function archive(entries: Entry[], damage: Damage): Promise<Buffer> {
  const bytes = await tarBytes(
    entries.map((e) => {
      const size = e.typeflag === '0' ? e.size : 0;
      const body = Buffer.alloc(size, e.seed);
      for (let i = 0; i < size; i += 97) body[i] = (i * 31 + e.seed) & 0xff;
      return {
        header: {
          name: e.name,
          typeflag: e.typeflag,
          size,
          linkname: e.typeflag === '2' ? 'target' : '',
          xattrs: e.xattr ? new Map([['user.k', Buffer.from('v')]]) : undefined,
        },
        body,
      };
    }),
  );
  if (damage.kind === 'none') return bytes;
  const at = Math.min(bytes.length - 1, Math.floor(damage.at * bytes.length));
  if (damage.kind === 'truncate') return bytes.subarray(0, at);
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ damage.bits;
  return copy;
}

const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 });

function chunkings(input: Buffer, sizes: number[]): [string, Chunking][] {
  return [
    ['whole', () => input.length],
    ['1-byte', () => 1],
    ['7-byte', () => 7],
    ['512-byte', () => 512],
    ['random', (i) => sizes[i % sizes.length]!],
  ];
}

async function sumOf(input: Buffer, chunking: Chunking, variant: '2015' | '2018') {
  try {
    return { sum: await tarsum(asAsync(chunksOf(input, chunking)), { variant }) };
  } catch (err) {
    return classify(err);
  }
}

test('readTar: queued bodies give what the byte-at-a-time parser gives, in any chunking', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(entryArb, { maxLength: 6 }),
      damageArb,
      fc.constantFrom<TarDialect>('go1.4', 'modern'),
      chunkSizesArb,
      async (entries, damage, dialect, sizes) => {
        const input = await archive(entries, damage);
        const streamed = parseWith(input, () => 1, dialect);
        const expected = { entries: streamed.entries, end: streamed.end };
        if (damage.kind === 'none') assert.deepEqual(expected.end, { ok: true });
        for (const [label, chunking] of chunkings(input, sizes)) {
          assert.deepStrictEqual(
            await readWith(input, chunking, dialect, true),
            expected,
            `readTar, ${label} chunks`,
          );
          const skipped = await readWith(input, chunking, dialect, false);
          assert.deepStrictEqual(
            skipped.entries.map((e) => e.header),
            expected.entries.map((e) => e.header),
            `readTar skipping bodies, ${label} chunks`,
          );
          assert.deepStrictEqual(skipped.end, expected.end, `readTar skipping, ${label} chunks`);
        }
      },
    ),
    { numRuns: 100 },
  );
});

test('TarSum: one-call hashing gives the streaming sums and errors, in any chunking', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(entryArb, { maxLength: 6 }),
      damageArb,
      fc.constantFrom<'2015' | '2018'>('2015', '2018'),
      chunkSizesArb,
      async (entries, damage, variant, sizes) => {
        const input = await archive(entries, damage);
        const byteAtATime = await sumOf(input, () => 1, variant);
        for (const [label, chunking] of chunkings(input, sizes).slice(2))
          assert.deepStrictEqual(await sumOf(input, chunking, variant), byteAtATime, label);
        assert.deepStrictEqual(await sumOf(input, () => input.length, variant), byteAtATime);
      },
    ),
    { numRuns: 150 },
  );
});

test('readTar: a body is readable once, and not after the next entry was requested', async () => {
  const input = await tarBytes([
    { header: { name: 'a', size: 3 }, body: Buffer.from('abc') },
    { header: { name: 'b', size: 2 }, body: Buffer.from('de') },
  ]);
  const entries = readTar(asAsync([input]));
  const first = (await entries.next()).value as TarEntry;
  const pieces: string[] = [];
  for await (const chunk of first.body) pieces.push(chunk.toString());
  assert.deepEqual(pieces, ['abc']);
  await assert.rejects(
    (async () => {
      for await (const chunk of first.body) void chunk;
    })(),
    /read only once/,
  );
  const second = (await entries.next()).value as TarEntry;
  assert.equal(second.header.name, 'b');
  assert.ok((await entries.next()).done);
  await assert.rejects(
    (async () => {
      for await (const chunk of second.body) void chunk;
    })(),
    /before the next entry is requested/,
  );
});

test('header checksum: four bytes at a time gives the byte-by-byte sums, unsigned and signed, wherever the block starts', () => {
  const reference = (block: Uint8Array, signed: boolean) => {
    let sum = 8 * 0x20;
    for (let i = 0; i < 512; i++) {
      if (i >= 148 && i < 156) continue;
      sum += signed ? (block[i]! << 24) >> 24 : block[i]!;
    }
    return sum;
  };
  const property = fc.property(
    fc.uint8Array({ minLength: 512, maxLength: 512 }),
    fc.nat({ max: 7 }),
    fc.constantFrom(0x00, 0x7f, 0x80, 0xff, -1),
    (bytes, offset, fill) => {
      const memory = new Uint8Array(520);
      const block = memory.subarray(offset, offset + 512);
      block.set(fill === -1 ? bytes : new Uint8Array(512).fill(fill));
      for (const signed of [false, true])
        assert.equal(checksum(block, signed), reference(block, signed));
    },
  );
  fc.assert(property, { numRuns: 3000 });
});
