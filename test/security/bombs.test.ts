// Resource attacks: decompression bombs (gzip, zstd) against the ratio and size caps, declared
// sizes the body does not back, and entry/byte counts over the caps.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import zlib from 'node:zlib';
import fs from 'node:fs';
import { applyLayerBlob } from '../../src/archive/apply/index.ts';
import { compressStream, zstdCompressionAvailable } from '../../src/archive/compression/index.ts';
import { isShaleError } from '../../src/core/errors.ts';
import {
  END,
  file,
  hostile,
  layer,
  makeSandbox,
  rawEntry,
  snapshot,
  type Entry,
} from '../helpers/layer-sandbox.ts';

/** A tar holding one file of `mib` MiB of zeros, built lazily so memory stays small. */
async function zeroLayer(mib: number): Promise<Buffer> {
  return layer([{ header: { name: 'zeros', mode: 0o644 }, body: Buffer.alloc(mib << 20) }]);
}

async function blobCase(
  blob: Buffer,
  options: Parameters<typeof applyLayerBlob>[2],
  code: 'ERR_LIMIT',
): Promise<void> {
  const sb = makeSandbox();
  try {
    const before = snapshot(sb.tmp, sb.root);
    await assert.rejects(applyLayerBlob(sb.root, Readable.from([blob]), options), (err) =>
      isShaleError(err, code),
    );
    assert.deepEqual(snapshot(sb.tmp, sb.root), before);
  } finally {
    sb.cleanup();
  }
}

test('CVE-2017-14992: gzip bomb is stopped by the ratio cap', async () => {
  const blob = zlib.gzipSync(await zeroLayer(32), { level: 9 });
  await blobCase(blob, { maxRatio: 50 }, 'ERR_LIMIT');
});

test('CVE-2017-14992: zstd bomb is stopped by the ratio cap', async (t) => {
  if (!(await zstdCompressionAvailable())) {
    t.skip('no zstd compressor in this build');
    return;
  }
  const tar = await zeroLayer(32);
  const zstd = await compressStream('zstd', { level: 19 });
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of zstd) chunks.push(c as Buffer);
  })();
  zstd.end(tar);
  await collected;
  await blobCase(Buffer.concat(chunks), { maxRatio: 50 }, 'ERR_LIMIT');
});

test('gzip bomb is stopped by the decompressed-size cap', async () => {
  const blob = zlib.gzipSync(await zeroLayer(8));
  await blobCase(blob, { maxDecompressedBytes: 1 << 20 }, 'ERR_LIMIT');
});

test('a gzip layer within the caps applies normally', async () => {
  const sb = makeSandbox();
  try {
    const blob = zlib.gzipSync(await layer([file('a', 'hello')]));
    const r = await applyLayerBlob(sb.root, Readable.from([blob]), { maxRatio: 100 });
    assert.deepEqual(r, { size: 5, entries: 1 });
    assert.equal(fs.readFileSync(sb.at('a'), 'utf8'), 'hello');
  } finally {
    sb.cleanup();
  }
});

test('huge declared size with a short body is ERR_BAD_TAR', async () => {
  const head = rawEntry({ name: 'big', size: 1 << 30 }).subarray(0, 512);
  await hostile([Buffer.concat([head, Buffer.alloc(100, 1)])], { code: 'ERR_BAD_TAR' });
});

test('huge declared size is ERR_LIMIT before any byte is written', async () => {
  const head = rawEntry({ name: 'big', size: 4 * 2 ** 30 }).subarray(0, 512);
  await hostile(
    [Buffer.concat([head, Buffer.alloc(4096)])],
    {
      code: 'ERR_LIMIT',
      check: ({ sb }) => assert.deepEqual(fs.readdirSync(sb.root), []),
    },
    { maxBytes: 1 << 20 },
  );
});

test('too many entries is ERR_LIMIT', async () => {
  const entries: Entry[] = [];
  for (let i = 0; i < 50; i++) entries.push(file(`f${i}`, ''));
  await hostile([entries], { code: 'ERR_LIMIT' }, { maxEntries: 20 });
});

test('many small entries over the byte cap is ERR_LIMIT', async () => {
  const entries: Entry[] = [];
  for (let i = 0; i < 20; i++) entries.push(file(`f${i}`, 'x'.repeat(100)));
  await hostile([entries], { code: 'ERR_LIMIT' }, { maxBytes: 1000 });
});

test('truncated archive (no end blocks, cut mid-header) is ERR_BAD_TAR', async () => {
  const tar = Buffer.concat([rawEntry({ name: 'a' }, Buffer.from('x')), Buffer.alloc(100, 0x41)]);
  await hostile([tar], { code: 'ERR_BAD_TAR' });
});

test('abort signal stops the apply', async () => {
  const ac = new AbortController();
  ac.abort();
  const sb = makeSandbox();
  try {
    await assert.rejects(
      applyLayerBlob(sb.root, Readable.from([Buffer.concat([rawEntry({ name: 'a' }), END])]), {
        signal: ac.signal,
      }),
      { name: 'AbortError' },
    );
  } finally {
    sb.cleanup();
  }
});
