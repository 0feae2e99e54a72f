// tar-split (spec §2.2): CRC-64/ISO against its check value and a bit-by-bit reference; known tars
// (the TarSum test-data layers and Go's archive/tar test files) disassembled by our packer and by
// the real `tar-split` tool, and reassembled by ours and by the real tool from the bodies GNU tar
// extracted: every way round gives the original bytes (sha256). A changed, longer or shorter body
// is caught; a non-UTF-8 name travels as `name_raw`; an over-long record line is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isShaleError } from '../../src/core/errors.ts';
import {
  Crc64,
  disassembleTar,
  readTarSplit,
  readTarSplitBatches,
  reassembleTar,
  writeTarSplit,
  type TarSplitEntry,
} from '../../src/archive/tar-split/index.ts';
import {
  encodeEntry,
  FILE_ENTRY,
  parseEntry,
  SEGMENT_ENTRY,
} from '../../src/archive/tar-split/entry.ts';
import { RecordPacker, unpackRecords } from '../../src/archive/tar-split/record-batch.ts';
import { scanRecord } from '../../src/archive/tar-split/record-scan.ts';
import { fixture } from '../helpers/fixtures.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-tar-split-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function hashOf(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of chunks) h.update(c);
  return h.digest('hex');
}

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function drain(items: AsyncIterable<unknown>): Promise<void> {
  for await (const item of items) void item;
}

/** Our metadata for the tar at `file`, gzipped. */
async function pack(file: string): Promise<Buffer> {
  return bytesOf(writeTarSplit(disassembleTar(fs.createReadStream(file))));
}

function extract(file: string, name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-C', dir, '--numeric-owner', '--xattrs', '-xpf', file]);
  return dir;
}

function crcBitwise(data: Uint8Array): string {
  const poly = 0xd800000000000000n;
  let crc = ~0n & 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (~crc & 0xffffffffffffffffn).toString(16).padStart(16, '0');
}

test('CRC-64/ISO: the check value and a bitwise reference over odd lengths, offsets and splits', () => {
  assert.equal(
    new Crc64().update(Buffer.from('123456789')).digest().toString('hex'),
    'b90956c775a41001',
  );
  // (65,536 bytes go to the WebAssembly function at a time: sizes around it, at an odd offset)
  for (const size of [0, 1, 7, 8, 9, 63, 1000, 4099, 65_535, 65_536, 65_537, 140_001]) {
    const data = randomBytes(size + 3).subarray(3);
    const cut = Math.floor(size / 3);
    const split = new Crc64().update(data.subarray(0, cut)).update(data.subarray(cut));
    assert.equal(split.digest().toString('hex'), crcBitwise(data), `size ${size}`);
  }
});

test('the CRC-64 WebAssembly module in the sources is what crc64.wat compiles to', () => {
  const script = fileURLToPath(new URL('../../scripts/build-crc64-wasm.mjs', import.meta.url));
  execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' });
});

test('a payload is taken exactly when it is standard padded base64, as Go decodes it', () => {
  const STD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
  const alphabet = [...'AQgw+/9z=-_ .\n\u00e9'];
  const property = fc.property(
    fc.oneof(
      fc.array(fc.constantFrom(...alphabet), { maxLength: 14 }).map((chars) => chars.join('')),
      fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    ),
    (payload) => {
      const line = JSON.stringify({ type: 2, payload, position: 0 });
      const valid = payload.length % 4 === 0 && STD_BASE64.test(payload);
      if (!valid) {
        assert.throws(
          () => parseEntry(line, 'r'),
          (err) => isShaleError(err, 'ERR_BAD_RECORD'),
        );
        return;
      }
      const entry = parseEntry(line, 'r');
      assert.ok(entry.type === 2 && entry.payload.equals(Buffer.from(payload, 'base64')));
    },
  );
  fc.assert(property, { numRuns: 5000 });
});

/** The record of `line` as the quick scan reads it, undefined when it leaves the line to the parser. */
function scanned(line: string): TarSplitEntry | undefined {
  const packer = new RecordPacker();
  const bytes = Buffer.from(`#${line}#`); // (read from within a larger buffer)
  if (scanRecord(bytes, 1, bytes.length - 1, packer) === undefined) {
    assert.ok(packer.empty, 'a line not taken added nothing');
    return undefined;
  }
  const records = [...unpackRecords(packer.take())];
  assert.equal(records.length, 1);
  return records[0];
}

test("a record line in the packer's own form is read as the parser reads it; any other is left to the parser", () => {
  const entry = fc.oneof(
    fc.record({
      type: fc.constant(SEGMENT_ENTRY),
      payload: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      position: fc.nat(),
    }),
    fc
      .record({
        type: fc.constant(FILE_ENTRY),
        name: fc.oneof(
          fc.string({ minLength: 1, maxLength: 12 }),
          fc.constantFrom('a/b', 'x&y', 'q"q', 'b\\s', 'é', '\u0001'),
          fc
            .uint8Array({ minLength: 1, maxLength: 6 })
            .map((b) => Buffer.from(b).toString('latin1')),
        ),
        size: fc.oneof(fc.constant(0), fc.nat(), fc.constant(2 ** 53 - 1), fc.constant(10 ** 15)),
        crc: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)),
        position: fc.nat(),
      })
      .map((e) => ({ ...e, crc: e.size > 0 ? e.crc : Buffer.alloc(0) })),
  ) as fc.Arbitrary<TarSplitEntry>;
  const edits = [' ', '\\u0041', '0', '-', '=', '"', 'A', '_', 'é', '}', 'null', ',', '1e3', '.0'];
  const property = fc.property(
    entry,
    fc.option(fc.tuple(fc.nat(), fc.constantFrom(...edits), fc.boolean()), { freq: 2 }),
    (record, edit) => {
      let line = encodeEntry(record);
      if (edit) {
        const [at, text, replace] = edit;
        const i = at % (line.length + 1);
        line = line.slice(0, i) + text + line.slice(i + (replace ? 1 : 0));
      }
      let parsed: TarSplitEntry | Error;
      try {
        parsed = parseEntry(line, 'r');
      } catch (err) {
        parsed = err as Error;
      }
      const quick = scanned(line);
      if (quick !== undefined) assert.deepEqual(quick, parsed);
      const plain =
        record.type === SEGMENT_ENTRY ||
        /^[\x20-\x7e]+$/.test(record.name.replace(/["\\]/g, '\x01'));
      if (!edit && plain) assert.ok(quick, `the packer's own form is read quickly: ${line}`);
    },
  );
  fc.assert(property, { numRuns: 20_000 });
});

const KNOWN_TARS = [
  fixture(
    'tarsum',
    '511136ea3c5a64f264b78b5433614aec563103b4d4702f3ba7d4d2698e22c158',
    'layer.tar',
  ),
  fixture(
    'tarsum',
    '46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457',
    'layer.tar',
  ),
  fixture('tarsum', 'xattr', 'layer.tar'),
  ...[
    'file-and-dir',
    'gnu',
    'gnu-utf8',
    'gnu-not-utf8',
    'hardlink',
    'pax',
    'pax-records',
    'star',
    'ustar-file-reg',
  ]
    .map((name) => fixture('go-tar', `${name}.tar`))
    .filter((file) => fs.existsSync(file)),
];

test('known tars: ours and the real tar-split, packing and reassembling, give the original bytes', async () => {
  assert.ok(KNOWN_TARS.length >= 10);
  for (const [i, file] of KNOWN_TARS.entries()) {
    const original = sha256(fs.readFileSync(file));
    const tree = extract(file, `known-${i}`);
    const ours = path.join(work, `ours-${i}.json.gz`);
    fs.writeFileSync(ours, await pack(file));
    const what = path.basename(path.dirname(file)) + '/' + path.basename(file);
    assert.equal(
      await hashOf(reassembleTar(readTarSplitBatches(fs.createReadStream(ours)), tree)),
      original,
      `${what}: our packer, our reassembly`,
    );
    const byTool = execFileSync('tar-split', ['asm', '--input', ours, '--path', tree], {
      maxBuffer: 1 << 28,
    });
    assert.equal(sha256(byTool), original, `${what}: our packer, tar-split asm`);
    const theirs = path.join(work, `theirs-${i}.json.gz`);
    execFileSync('tar-split', ['disasm', '--no-stdout', '--output', theirs, file]);
    assert.equal(
      await hashOf(reassembleTar(readTarSplitBatches(fs.createReadStream(theirs)), tree)),
      original,
      `${what}: tar-split disasm, our reassembly`,
    );
  }
});

test('a changed, longer or shorter body is an error the caller can tell apart; a body that is not a regular file is refused as such', async () => {
  const file = fixture(
    'tarsum',
    '46af0962ab5afeb5ce6740d4d91652e69206fc991fd5328c1a94d364ad00e457',
    'layer.tar',
  );
  const metadata = await pack(file);
  const sudoers = 'etc/sudoers';
  const cases: [string, (p: string) => void, string, RegExp?][] = [
    [
      'changed',
      (p) => {
        const b = fs.readFileSync(p);
        b[10] = b[10]! ^ 1;
        fs.writeFileSync(p, b);
      },
      'ERR_DIGEST_MISMATCH',
    ],
    ['longer', (p) => fs.appendFileSync(p, 'x'), 'ERR_SIZE_MISMATCH'],
    ['shorter', (p) => fs.truncateSync(p, 100), 'ERR_SIZE_MISMATCH'],
    ['missing', (p) => fs.rmSync(p), 'ERR_NOT_FOUND'],
    [
      'symlink',
      (p) => {
        fs.rmSync(p);
        fs.symlinkSync('/etc/passwd', p);
      },
      'ERR_NOT_FOUND',
      /a symbolic link/,
    ],
    [
      'fifo',
      (p) => {
        fs.rmSync(p);
        execFileSync('mkfifo', [p]);
      },
      'ERR_NOT_FOUND',
      /not a regular file/,
    ],
    [
      'directory',
      (p) => {
        fs.rmSync(p);
        fs.mkdirSync(p);
      },
      'ERR_NOT_FOUND',
      /not a regular file/,
    ],
    [
      // a device that reads as many bytes as asked for, none of them the body's
      'device',
      (p) => {
        fs.rmSync(p);
        execFileSync('mknod', [p, 'c', '1', '5']); // /dev/zero's numbers
      },
      'ERR_NOT_FOUND',
      /not a regular file/,
    ],
  ];
  for (const [label, damage, code, words] of cases) {
    const tree = extract(file, `damaged-${label}`);
    damage(path.join(tree, sudoers));
    await assert.rejects(
      hashOf(reassembleTar(readTarSplitBatches([metadata]), tree)),
      (err) =>
        isShaleError(err, code as never) &&
        /sudoers/.test((err as Error).message) &&
        (words ?? /./).test((err as Error).message),
      label,
    );
  }
});

test('thousands of records and bodies of megabytes cross batches and chunks; a reader that stops early ends the thread, the next reassembly gets a fresh one', async () => {
  const tree = path.join(work, 'many');
  fs.mkdirSync(path.join(tree, 'd'), { recursive: true });
  for (let i = 0; i < 6000; i++)
    fs.writeFileSync(path.join(tree, 'd', `f${i}`), randomBytes(i % 700));
  fs.writeFileSync(path.join(tree, 'big'), randomBytes(3 << 20));
  fs.writeFileSync(path.join(tree, 'odd'), randomBytes((1 << 20) + 7));
  const file = path.join(work, 'many.tar');
  execFileSync('tar', ['-C', tree, '--format=gnu', '-cf', file, 'd', 'big', 'odd']);
  const metadata = await pack(file);
  const original = sha256(fs.readFileSync(file));
  assert.equal(await hashOf(reassembleTar(readTarSplitBatches([metadata]), tree)), original);
  for (const stopAfter of [1, 5]) {
    let seen = 0;
    for await (const chunk of reassembleTar(readTarSplitBatches([metadata]), tree)) {
      assert.ok(chunk.length > 0);
      if (++seen === stopAfter) break;
    }
  }
  assert.equal(await hashOf(reassembleTar(readTarSplitBatches([metadata]), tree)), original);
  fs.appendFileSync(path.join(tree, 'd', 'f5999'), 'x');
  await assert.rejects(
    hashOf(reassembleTar(readTarSplitBatches([metadata]), tree)),
    (err) => isShaleError(err, 'ERR_SIZE_MISMATCH') && /f5999/.test((err as Error).message),
  );
});

test('records: a non-UTF-8 name travels as name_raw; duplicates and over-long lines are refused', async () => {
  const file = fixture('go-tar', 'gnu-not-utf8.tar');
  const lines = gunzipSync(await pack(file))
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const named = lines.filter((l) => l.type === 1);
  assert.ok(
    named.length > 0 && named.every((l) => typeof l.name_raw === 'string' && l.name === undefined),
  );
  const records: TarSplitEntry[] = [];
  for await (const r of readTarSplit([await pack(file)])) records.push(r);
  const fileRecord = records.find((r) => r.type === 1);
  assert.ok(fileRecord && fileRecord.type === 1 && /[\x80-\xff]/.test(fileRecord.name));

  const duplicate = gzipSync(
    '{"type":1,"name":"a","position":0}\n{"type":1,"name":"./a","position":1}\n',
  );
  await assert.rejects(
    bytesOf(reassembleTar(readTarSplitBatches([duplicate]), work)),
    /duplicates of file paths/,
  );
  const long = gzipSync(`{"type":2,"payload":"${'A'.repeat(4096)}","position":0}\n`);
  await assert.rejects(
    bytesOf(reassembleTar(readTarSplitBatches([long], { maxLineBytes: 1024 }), work)),
    (err) => isShaleError(err, 'ERR_LIMIT'),
  );
  for (const bad of ['{"type":3}', '{"type":1,"name":"a","size":5,"payload":"AAAA"}', 'nope']) {
    await assert.rejects(
      drain(readTarSplit([gzipSync(bad)])),
      (err) => isShaleError(err, 'ERR_BAD_RECORD'),
      bad,
    );
  }
});
