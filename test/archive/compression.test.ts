// Compression module against the real command-line tools (gzip, zstd, xz, bzip2 in /usr/bin) as
// oracles: their output must decode to the exact original bytes, ours must decode with them.
// Also: magic sniffing, trailing garbage, corrupt and truncated input, the decompression-bomb
// limits, bounded memory on big streams, and a fast-check round-trip property.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { decompress as fzstdDecompress } from 'fzstd';
import {
  autoDecompress,
  compressStream,
  decompressStream,
  peekCompression,
  sniffCompression,
  zstdCompressionAvailable,
  type Compression,
} from '../../src/archive/compression/index.ts';
import { isShaleError, type ErrorCode } from '../../src/core/errors.ts';

type Format = Exclude<Compression, 'none'>;
const FORMATS: Format[] = ['gzip', 'zstd', 'xz', 'bzip2'];
const MiB = 1024 * 1024;

/** Runs a command-line tool on `input`; it must succeed. */
function tool(command: string, args: string[], input: Uint8Array): Buffer {
  const r = spawnSync(command, args, { input, maxBuffer: 512 * MiB });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${command} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Compresses with the real tool (reading stdin, so no content size in zstd frames). */
function cli(format: Format, input: Uint8Array, args: string[] = []): Buffer {
  const extra = format === 'xz' ? ['-T1'] : [];
  return tool(format, ['-c', ...extra, ...args], input);
}

/** Decompresses with the real tool. */
function cliDecompress(format: Format, input: Uint8Array): Buffer {
  return tool(format, ['-dc'], input);
}

/** Deterministic bytes: text-like runs mixed with random stretches (xorshift32). */
function sample(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const words = ['layer ', 'image ', 'blob ', 'sha256:', 'usr/lib/', '\n', 'tar ', '0000'];
  let i = 0;
  while (i < size) {
    if (next() % 8 === 0) {
      const n = Math.min(size - i, 1 + (next() % 40));
      for (let k = 0; k < n; k++) out[i++] = next() & 0xff;
    } else {
      const w = words[next() % words.length]!;
      i += out.write(w, i, Math.min(w.length, size - i), 'latin1');
    }
  }
  return out;
}

/** A Readable yielding `data` in pieces of `size` bytes. */
function chunked(data: Uint8Array, size = 64 * 1024): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) pieces.push(Buffer.from(data.subarray(i, i + size)));
  return Readable.from(pieces, { objectMode: false });
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function decode(
  data: Uint8Array,
  format: Compression,
  options?: { maxOutputBytes?: number; maxRatio?: number },
  chunkSize?: number,
): Promise<Buffer> {
  return collect(decompressStream(chunked(data, chunkSize), format, options));
}

/** Asserts that `promise` rejects with a ShaleError of `code` (and a message matching `message`). */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isShaleError(err, code), `expected ${code}, got ${String(err)}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** A zstd skippable frame: magic 0x184D2A5n, u32 LE length, payload. */
function skippableFrame(nibble: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0x184d2a50 + nibble, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const SMALL = sample(300 * 1024, 7);
const hasZstdNapi = await zstdCompressionAvailable();

// ---------------------------------------------------------------------------------- sniffing

test('sniffs each format from the real tools output', () => {
  for (const format of FORMATS) {
    assert.equal(sniffCompression(cli(format, SMALL).subarray(0, 10)), format);
  }
  assert.equal(sniffCompression(SMALL.subarray(0, 10)), 'none');
});

test('sniffs the magic numbers of the spec', () => {
  const cases: [number[], Compression][] = [
    [[0x42, 0x5a, 0x68], 'bzip2'],
    [[0x1f, 0x8b, 0x08], 'gzip'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
    [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  ];
  for (const [magic, format] of cases) {
    assert.equal(sniffCompression(Uint8Array.from([...magic, 0, 1, 2])), format);
    assert.equal(sniffCompression(Uint8Array.from(magic)), format, 'exactly the magic');
    assert.equal(sniffCompression(Uint8Array.from(magic.slice(0, -1))), 'none', 'one byte short');
    const wrong = [...magic];
    wrong[wrong.length - 1]! ^= 0x01;
    assert.equal(
      sniffCompression(Uint8Array.from([...wrong, 0, 0, 0, 0])),
      'none',
      'last byte off',
    );
  }
  assert.equal(sniffCompression(new Uint8Array(0)), 'none');
  assert.equal(sniffCompression(Uint8Array.from([0x1f, 0x8b, 0x07, 0])), 'none', 'gzip needs CM=8');
  assert.equal(sniffCompression(Buffer.from('hello world')), 'none');
});

test('sniffs zstd skippable frames 0x184D2A50..5F, given 8 bytes', () => {
  for (let nibble = 0; nibble < 16; nibble++) {
    const frame = skippableFrame(nibble, Buffer.from('xy'));
    assert.equal(sniffCompression(frame.subarray(0, 8)), 'zstd', `nibble ${nibble}`);
    assert.equal(sniffCompression(frame.subarray(0, 7)), 'none', `7 bytes, nibble ${nibble}`);
  }
  const near = Buffer.alloc(8);
  near.writeUInt32LE(0x184d2a60, 0);
  assert.equal(sniffCompression(near), 'none');
  near.writeUInt32LE(0x184d2b50, 0);
  assert.equal(sniffCompression(near), 'none');
});

// ---------------------------------------------------------------------------------- peeking

test('peekCompression waits for 10 bytes and loses nothing', async () => {
  const data = cli('xz', SMALL);
  // one byte per chunk: a peek that sniffed after the first chunk would see 'none'
  const oneByOne = (async function* () {
    for (let i = 0; i < 40; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      yield data.subarray(i, i + 1);
    }
    yield data.subarray(40);
  })();
  const { compression, stream } = await peekCompression(oneByOne);
  assert.equal(compression, 'xz');
  assert.ok((await collect(stream)).equals(data));
});

test('peekCompression on short and empty sources', async () => {
  for (const [bytes, expected] of [
    [[], 'none'],
    [[0x42, 0x5a, 0x68], 'bzip2'],
    [[0x28, 0xb5, 0x2f], 'none'],
    [[0x50, 0x2a, 0x4d, 0x18, 0, 0, 0], 'none'],
  ] as [number[], Compression][]) {
    const { compression, stream } = await peekCompression(Readable.from([Buffer.from(bytes)]));
    assert.equal(compression, expected, JSON.stringify(bytes));
    assert.deepEqual([...(await collect(stream))], bytes);
  }
  const empty = await autoDecompress(Readable.from([], { objectMode: false }));
  assert.equal(empty.compression, 'none');
  assert.equal((await collect(empty.stream)).length, 0);
});

test('peekCompression refuses text chunks and passes source errors on', async () => {
  await rejectsWith(peekCompression(Readable.from(['text chunk'])), 'ERR_INVALID_ARGUMENT');
  const failing = (async function* () {
    yield Buffer.from([0x1f, 0x8b]);
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error('network down');
  })();
  await assert.rejects(peekCompression(failing), /network down/);
});

// ---------------------------------------------------------------------------------- oracles

test('decodes what the real tools produce, whatever the chunking', async () => {
  const variants: Record<Format, string[][]> = {
    gzip: [['-1'], ['-9'], ['-n']],
    zstd: [['-1'], ['-19'], ['--no-check'], ['-3', '--content-size', '--size-hint=307200']],
    xz: [['-0'], ['-6', '--check=crc32'], ['--check=none'], ['--block-size=65536']],
    bzip2: [['-1'], ['-9']],
  };
  for (const format of FORMATS) {
    for (const args of variants[format]) {
      const compressed = cli(format, SMALL, args);
      for (const chunkSize of [1 << 20, 4093]) {
        const out = await decode(compressed, format, undefined, chunkSize);
        assert.ok(out.equals(SMALL), `${format} ${args.join(' ')} chunk ${chunkSize}`);
      }
    }
    // tiny input, fed one byte at a time
    const tiny = sample(3000, 3);
    assert.ok((await decode(cli(format, tiny), format, undefined, 1)).equals(tiny), `${format} 1B`);
    // the empty file compresses to a valid (non-empty) stream
    assert.equal((await decode(cli(format, Buffer.alloc(0)), format)).length, 0, `${format} empty`);
  }
});

test('zstd with a known content size (single-segment frame from a file)', async () => {
  const dir = (await import('node:fs')).mkdtempSync('/tmp/shale-zstd-');
  const fs = await import('node:fs');
  try {
    fs.writeFileSync(`${dir}/in`, SMALL.subarray(0, 50_000));
    const compressed = tool('zstd', ['-q', '-c', `${dir}/in`], new Uint8Array(0));
    assert.equal(compressed[4]! & 0x20, 0x20, 'single-segment flag set');
    assert.ok((await decode(compressed, 'zstd')).equals(SMALL.subarray(0, 50_000)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('concatenated streams: multi-member gzip, several zstd frames, xz streams, bzip2 streams', async () => {
  const a = sample(100_000, 11);
  const b = sample(70_000, 12);
  const both = Buffer.concat([a, b]);
  for (const format of FORMATS) {
    const compressed = Buffer.concat([cli(format, a), cli(format, b)]);
    assert.ok(cliDecompress(format, compressed).equals(both), `${format}: the tool agrees`);
    assert.ok((await decode(compressed, format)).equals(both), format);
    assert.ok((await decode(compressed, format, undefined, 999)).equals(both), `${format} 999`);
    const auto = await autoDecompress(chunked(compressed));
    assert.equal(auto.compression, format);
    assert.ok((await collect(auto.stream)).equals(both));
  }
  // xz stream padding (multiples of 4 zero bytes) between and after streams is valid
  const padded = Buffer.concat([cli('xz', a), Buffer.alloc(8), cli('xz', b), Buffer.alloc(4)]);
  assert.ok(cliDecompress('xz', padded).equals(both));
  assert.ok((await decode(padded, 'xz')).equals(both));
});

test('zstd skippable frames before, between and after real frames', async () => {
  const a = sample(40_000, 21);
  const b = sample(30_000, 22);
  // a payload that looks like frames must be skipped, not parsed
  const tricky = Buffer.concat([cli('zstd', b), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])]);
  const stream = Buffer.concat([
    skippableFrame(0x0, Buffer.from('metadata')),
    skippableFrame(0xf, Buffer.alloc(0)),
    cli('zstd', a),
    skippableFrame(0x7, tricky),
    cli('zstd', b, ['--no-check']),
    skippableFrame(0x3, Buffer.alloc(70_000, 0xaa)),
  ]);
  const expected = Buffer.concat([a, b]);
  assert.ok(cliDecompress('zstd', stream).equals(expected), 'the zstd tool agrees');
  // (fzstd on its own skips them too; our frame walker skips them before fzstd sees them)
  assert.ok(Buffer.from(fzstdDecompress(stream)).equals(expected));
  for (const chunkSize of [1 << 20, 5]) {
    const auto = await autoDecompress(chunked(stream, chunkSize));
    assert.equal(auto.compression, 'zstd');
    assert.ok((await collect(auto.stream)).equals(expected), `chunk ${chunkSize}`);
  }
  const small = Buffer.concat([
    skippableFrame(0x5, Buffer.from('abc')),
    cli('zstd', a.subarray(0, 2000)),
    skippableFrame(0x6, Buffer.from('defg')),
  ]);
  assert.ok((await decode(small, 'zstd', undefined, 1)).equals(a.subarray(0, 2000)), 'bytewise');
  // a stream of skippable frames only decodes to nothing
  assert.equal((await decode(skippableFrame(1, Buffer.from('x')), 'zstd')).length, 0);
});

test('our gzip and zstd output decodes with gzip -dc / zstd -dc', async (t) => {
  const data = sample(2 * MiB, 31);
  for (const level of [undefined, 1, 9]) {
    const compressed = await collect(chunked(data).pipe(await compressStream('gzip', { level })));
    assert.equal(sniffCompression(compressed), 'gzip');
    assert.ok(cliDecompress('gzip', compressed).equals(data), `gzip level ${level}`);
  }
  await t.test('zstd', { skip: !hasZstdNapi && 'zstd-napi is not installed' }, async () => {
    for (const level of [undefined, 1, 19]) {
      const compressed = await collect(chunked(data).pipe(await compressStream('zstd', { level })));
      assert.equal(sniffCompression(compressed), 'zstd');
      assert.equal(compressed[4]! & 0x04, 0x04, 'content checksum flag');
      assert.ok(cliDecompress('zstd', compressed).equals(data), `zstd level ${level}`);
      assert.ok((await decode(compressed, 'zstd')).equals(data));
    }
  });
});

test('compressStream refuses bad levels and formats', async () => {
  await rejectsWith(compressStream('gzip', { level: 10 }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(compressStream('gzip', { level: 1.5 }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(compressStream('zstd', { level: 23 }), 'ERR_INVALID_ARGUMENT');
  await rejectsWith(compressStream('xz' as 'gzip'), 'ERR_INVALID_ARGUMENT');
  assert.equal(await zstdCompressionAvailable(), hasZstdNapi);
});

test('gzip and zstd round-trip random bytes (property)', async () => {
  const formats: ('gzip' | 'zstd')[] = hasZstdNapi ? ['gzip', 'zstd'] : ['gzip'];
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    // repetitive data, so that matches and RLE blocks occur
    fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 3000 }))
      .map(([unit, times]) => Buffer.concat(Array.from({ length: times }, () => unit))),
  );
  await fc.assert(
    fc.asyncProperty(
      bytes,
      fc.constantFrom(...formats),
      fc.integer({ min: 1, max: 9 }),
      async (data, format, level) => {
        const compressed = await collect(
          chunked(data, 1000).pipe(await compressStream(format, { level })),
        );
        const auto = await autoDecompress(chunked(compressed, 777));
        assert.equal(auto.compression, format);
        assert.ok((await collect(auto.stream)).equals(Buffer.from(data)));
      },
    ),
    { numRuns: 150 },
  );
});

// ---------------------------------------------------------------------------------- corruption

test('node gunzip drops data after a zero byte; we reject it', async () => {
  const a = cli('gzip', Buffer.from('first member\n'));
  const b = cli('gzip', Buffer.from('second member\n'));
  const hidden = Buffer.concat([a, Buffer.alloc(1), b]);
  // the premise: node's own gunzip silently returns only the first member
  assert.equal(zlib.gunzipSync(hidden).toString(), 'first member\n');
  await rejectsWith(decode(hidden, 'gzip'), 'ERR_BAD_COMPRESSION', /gzip.*trailing/);
  // the same with the zero and the member in later chunks
  await rejectsWith(decode(hidden, 'gzip', undefined, a.length), 'ERR_BAD_COMPRESSION');
  await rejectsWith(decode(hidden, 'gzip', undefined, 1), 'ERR_BAD_COMPRESSION');
  await rejectsWith(decode(Buffer.concat([a, Buffer.from('junk')]), 'gzip'), 'ERR_BAD_COMPRESSION');
  await rejectsWith(
    decode(Buffer.concat([a, Buffer.alloc(5000), Buffer.from([1])]), 'gzip', undefined, 1000),
    'ERR_BAD_COMPRESSION',
  );
  // zero padding alone is accepted, as gzip(1) does
  for (const chunkSize of [1 << 20, 7, 1]) {
    const padded = Buffer.concat([a, b, Buffer.alloc(3000)]);
    assert.equal(
      (await decode(padded, 'gzip', undefined, chunkSize)).toString(),
      'first member\nsecond member\n',
    );
  }
});

test('trailing garbage after zstd, xz and bzip2 streams is an error', async () => {
  for (const format of ['zstd', 'xz', 'bzip2'] as const) {
    const good = cli(format, SMALL.subarray(0, 20_000));
    for (const junk of [Buffer.from('garbage!'), Buffer.from([0]), Buffer.alloc(3)]) {
      await rejectsWith(
        decode(Buffer.concat([good, junk]), format),
        'ERR_BAD_COMPRESSION',
        new RegExp(format),
      );
    }
  }
});

test('truncated and corrupt input of every format is ERR_BAD_COMPRESSION', async () => {
  const data = sample(200_000, 41);
  for (const format of FORMATS) {
    const good = cli(format, data);
    const message = new RegExp(`corrupt ${format} stream`);
    for (const cut of [1, 5, 11, good.length >> 1, good.length - 1]) {
      await rejectsWith(decode(good.subarray(0, cut), format), 'ERR_BAD_COMPRESSION', message);
    }
    await rejectsWith(decode(Buffer.alloc(0), format), 'ERR_BAD_COMPRESSION', message);
    await rejectsWith(decode(data.subarray(0, 5000), format), 'ERR_BAD_COMPRESSION', message);
    // damage in the middle of the data: each format's integrity checks (CRCs, structure) see it
    const flipped = Buffer.from(good);
    for (let i = good.length >> 1; i < (good.length >> 1) + 16; i++) flipped[i]! ^= 0x55;
    await rejectsWith(decode(flipped, format), 'ERR_BAD_COMPRESSION', message);
  }
  // zstd: the content checksum is verified (fzstd alone ignores it)
  const summed = cli('zstd', data, ['--check']);
  summed[summed.length - 1]! ^= 0x01;
  await rejectsWith(decode(summed, 'zstd'), 'ERR_BAD_COMPRESSION', /checksum mismatch/);
  // zstd: a block header with the reserved type
  const zst = cli('zstd', Buffer.from('hello hello hello hello\n'), ['--no-check']);
  const headerSize = 6; // magic, descriptor, window descriptor (no content size from stdin)
  const bad = Buffer.from(zst);
  bad[headerSize] = bad[headerSize]! | 0x06;
  await rejectsWith(decode(bad, 'zstd'), 'ERR_BAD_COMPRESSION', /reserved block type/);
  // the wrong decoder for the data
  await rejectsWith(decode(cli('gzip', data), 'zstd'), 'ERR_BAD_COMPRESSION', /zstd/);
  await rejectsWith(decode(cli('zstd', data), 'xz'), 'ERR_BAD_COMPRESSION', /xz/);
});

test('randomly damaged streams fail cleanly and never hang (property)', async () => {
  const inputs = Object.fromEntries(
    FORMATS.map((f) => [f, cli(f, sample(20_000, 51), f === 'bzip2' ? ['-1'] : [])]),
  ) as Record<Format, Buffer>;
  const damage = fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), xor: fc.constant(0) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      xor: fc.integer({ min: 0, max: 255 }),
    }),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FORMATS), damage, async (format, d) => {
      const good = inputs[format];
      const at = d.at % good.length;
      const input =
        d.kind === 'cut'
          ? good.subarray(0, at)
          : d.kind === 'insert'
            ? Buffer.concat([good.subarray(0, at), Buffer.from([d.xor]), good.subarray(at)])
            : Buffer.from(good).fill(good[at]! ^ d.xor, at, at + 1);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang: ${format} ${JSON.stringify(d)}`)), 5000);
      });
      try {
        await Promise.race([decode(input, format, undefined, 1000), timeout]);
        // some damage is harmless (a gzip MTIME byte, a zstd literal without checksum...)
      } catch (err) {
        assert.ok(
          isShaleError(err, 'ERR_BAD_COMPRESSION') ||
            isShaleError(err, 'ERR_UNSUPPORTED') ||
            isShaleError(err, 'ERR_LIMIT'),
          `${format} ${JSON.stringify(d)}: ${String(err)}`,
        );
      } finally {
        clearTimeout(timer);
      }
    }),
    { numRuns: 200 },
  );
});

test('unsupported but valid input: xz SHA-256 check, zstd windows over 128 MiB', async () => {
  await rejectsWith(
    decode(cli('xz', SMALL, ['--check=sha256']), 'xz'),
    'ERR_UNSUPPORTED',
    /xz.*SHA-256/,
  );
  // --long=28 declares a 256 MiB window: refused before any of it is allocated
  await rejectsWith(decode(cli('zstd', SMALL, ['--long=28']), 'zstd'), 'ERR_LIMIT', /window/);
});

test('decompressStream refuses unknown compressions and bad limits', () => {
  const source = () => Readable.from([Buffer.from('x')]);
  assert.throws(
    () => decompressStream(source(), 'lz4' as Compression),
    (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
  );
  for (const options of [{ maxRatio: 0 }, { maxRatio: Number.NaN }, { maxOutputBytes: -1 }]) {
    assert.throws(
      () => decompressStream(source(), 'gzip', options),
      (e) => isShaleError(e, 'ERR_INVALID_ARGUMENT'),
      JSON.stringify(options),
    );
  }
});

// ---------------------------------------------------------------------------------- limits

test('maxRatio stops a 64 MiB gzip/zstd/xz/bzip2 bomb early', async () => {
  const zeros = Buffer.alloc(64 * MiB);
  for (const format of FORMATS) {
    const bomb = cli(format, zeros, format === 'xz' ? ['-0'] : []);
    assert.ok(bomb.length < 128 * 1024, `${format} bomb is ${bomb.length} bytes`);
    let seen = 0;
    const stream = decompressStream(chunked(bomb, 4096), format, { maxRatio: 10 });
    await rejectsWith(
      (async () => {
        for await (const chunk of stream) seen += (chunk as Buffer).length;
      })(),
      'ERR_LIMIT',
      new RegExp(`${format} stream expands more than 10:1`),
    );
    assert.ok(seen < 8 * MiB, `${format}: ${seen} bytes came out before the error`);
    // without a limit the same stream is fine (and ratio checks wait for 1 MiB of output)
    if (format === 'gzip') assert.equal((await decode(bomb, format)).length, zeros.length);
  }
  const small = cli('gzip', Buffer.alloc(MiB)); // ~1000:1 but only 1 MiB out
  assert.equal((await decode(small, 'gzip', { maxRatio: 1 })).length, MiB);
});

test('maxOutputBytes: exactly the size passes, one byte less fails', async () => {
  const data = sample(150_000, 61);
  for (const format of [...FORMATS, 'none'] as Compression[]) {
    const input = format === 'none' ? data : cli(format, data);
    assert.ok((await decode(input, format, { maxOutputBytes: data.length })).equals(data));
    await rejectsWith(
      decode(input, format, { maxOutputBytes: data.length - 1 }),
      'ERR_LIMIT',
      /decompresses to more than 149999 bytes/,
    );
  }
  await rejectsWith(decode(Buffer.from('x'), 'none', { maxOutputBytes: 0 }), 'ERR_LIMIT');
});

// ---------------------------------------------------------------------------------- streaming

test('200 MiB streams decompress with modest memory (gzip and zstd, generated on the fly)', async (t) => {
  const block = sample(MiB, 71);
  const zero = Buffer.alloc(MiB);
  const total = 200;
  function* generate(unit: Buffer) {
    for (let i = 0; i < total; i++) yield unit;
  }
  const expected = (unit: Buffer) => {
    const h = createHash('sha256');
    for (let i = 0; i < total; i++) h.update(unit);
    return h.digest('hex');
  };
  async function run(format: 'gzip' | 'zstd', unit: Buffer) {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let size = 0;
    const hash = createHash('sha256');
    const compressed = Readable.from(generate(unit), { objectMode: false }).pipe(
      await compressStream(format, { level: 1 }),
    );
    await pipeline(decompressStream(compressed, format), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    });
    assert.equal(size, total * MiB);
    assert.equal(hash.digest('hex'), expected(unit));
    const growth = (peak - before) / MiB;
    assert.ok(growth < 150, `${format}: RSS grew by ${growth.toFixed(0)} MiB`);
  }
  await run('gzip', block);
  await t.test('zstd', { skip: !hasZstdNapi && 'zstd-napi is not installed' }, async () => {
    await run('zstd', zero); // ~6 KiB of RLE blocks expanding to 200 MiB
  });
});

test('an unread decoder holds a bounded amount of output', async () => {
  const zeros = Buffer.alloc(16 * MiB);
  for (const format of ['gzip', 'zstd', 'xz'] as const) {
    const stream = decompressStream(chunked(cli(format, zeros)), format);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.ok(
      stream.readableLength < 2 * MiB,
      `${format}: ${stream.readableLength} bytes buffered`,
    );
    stream.destroy();
  }
});

test('source errors pass through unchanged; destroying the output destroys the source', async () => {
  const compressed = cli('gzip', SMALL);
  const failing = Readable.from(
    (function* () {
      yield compressed.subarray(0, 1000);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    })(),
    { objectMode: false },
  );
  await assert.rejects(collect(decompressStream(failing, 'gzip')), { code: 'ECONNRESET' });

  const source = chunked(cli('zstd', sample(4 * MiB, 81)), 1000);
  const out = decompressStream(source, 'zstd');
  for await (const chunk of out) {
    assert.ok((chunk as Buffer).length > 0);
    break; // leaving the loop destroys `out`
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(source.destroyed);
});

test('two xz streams decode independently (no shared lock)', async () => {
  const a = sample(500_000, 91);
  const b = sample(400_000, 92);
  const first = decompressStream(chunked(cli('xz', a)), 'xz');
  const second = decompressStream(chunked(cli('xz', b)), 'xz');
  // read the second to the end before touching the first
  assert.ok((await collect(second)).equals(b));
  assert.ok((await collect(first)).equals(a));
});
