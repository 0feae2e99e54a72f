// The decompression limits every caller gets by default (src/archive/compression/limits.ts): the
// default ratio cap lets through what a real layer of files does and stops a thousandfold gzip
// bomb and a zstd bomb, and the environment raises, lowers or lifts them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import {
  DEFAULT_LIMITS,
  decompressStream,
  type Compression,
} from '../../src/archive/compression/index.ts';
import { isShaleError } from '../../src/core/errors.ts';

const MiB = 1 << 20;
const zeros = Buffer.alloc(32 * MiB);
const gzipZeros = execFileSync('gzip', ['-9nc'], { input: zeros, maxBuffer: 64 * MiB });
const zstdZeros = execFileSync('zstd', ['-q', '-19', '-c'], { input: zeros, maxBuffer: 64 * MiB });

async function decodedLength(
  blob: Buffer,
  format: Compression,
  options?: Parameters<typeof decompressStream>[2],
): Promise<number> {
  let n = 0;
  for await (const chunk of decompressStream(Readable.from([blob]), format, options))
    n += (chunk as Buffer).length;
  return n;
}

async function withEnv<T>(env: Record<string, string>, act: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await act();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('the default ratio cap passes real files (source text), even checked from 1 MiB', async () => {
  const text = readFileSync(createRequire(import.meta.url).resolve('typescript/lib/typescript.js'));
  const gzipText = execFileSync('gzip', ['-9nc'], { input: text, maxBuffer: 64 * MiB });
  const ratio = text.length / gzipText.length;
  assert.ok(text.length > 4 * MiB && ratio < DEFAULT_LIMITS.maxRatio, `gzip of text: ${ratio}:1`);
  assert.equal(await decodedLength(gzipText, 'gzip', { ratioFloorBytes: MiB }), text.length);
});

test('the default ratio cap stops a thousandfold gzip bomb, checked from 1 MiB', async () => {
  const ratio = zeros.length / gzipZeros.length;
  assert.ok(ratio > 1000, `gzip of zeros: ${ratio}:1`);
  await assert.rejects(
    decodedLength(gzipZeros, 'gzip', { ratioFloorBytes: MiB }),
    (err) => isShaleError(err, 'ERR_LIMIT') && /expands more than 200:1/.test(err.message),
  );
});

test('the default ratio cap stops a zstd bomb, checked from 1 MiB', async () => {
  const ratio = zeros.length / zstdZeros.length;
  assert.ok(ratio > DEFAULT_LIMITS.maxRatio, `zstd of zeros: ${ratio}:1`);
  await assert.rejects(
    decodedLength(zstdZeros, 'zstd', { ratioFloorBytes: MiB }),
    (err) => isShaleError(err, 'ERR_LIMIT') && /expands more than 200:1/.test(err.message),
  );
});

test('SHALE_MAX_LAYER_BYTES caps every decompression; 0 lifts it; a caller may still set its own', async () => {
  await withEnv({ SHALE_MAX_LAYER_BYTES: String(MiB) }, async () => {
    await assert.rejects(decodedLength(gzipZeros, 'gzip'), (err) => isShaleError(err, 'ERR_LIMIT'));
    const own = { maxOutputBytes: zeros.length };
    assert.equal(await decodedLength(gzipZeros, 'gzip', own), zeros.length);
  });
  await withEnv({ SHALE_MAX_LAYER_BYTES: '0' }, async () => {
    assert.equal(await decodedLength(gzipZeros, 'gzip'), zeros.length);
  });
});

test('SHALE_MAX_RATIO raises the ratio cap (the zstd of zeros passes) and 0 lifts it', async () => {
  for (const value of [String(1e6), '0']) {
    await withEnv({ SHALE_MAX_RATIO: value }, async () => {
      const n = await decodedLength(zstdZeros, 'zstd', { ratioFloorBytes: MiB });
      assert.equal(n, zeros.length);
    });
  }
});

test('a limit that is not a number is refused by name', async () => {
  await withEnv({ SHALE_MAX_LAYER_BYTES: '1.5' }, async () => {
    await assert.rejects(
      async () => decodedLength(gzipZeros, 'gzip'),
      (err) =>
        isShaleError(err, 'ERR_INVALID_ARGUMENT') && /SHALE_MAX_LAYER_BYTES/.test(err.message),
    );
  });
});
