// Go's archive/tar reader conformance archives (go1.19.8, test/fixtures/go-tar) read with the
// modern dialect: headers, content MD5s, errors, truncation and partial reads. Sparse entries,
// which Go expands, are refused by shale with ERR_UNSUPPORTED; the tests check exactly that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { autoDecompress } from '../../src/archive/compression/index.ts';
import { readTar, type TarHeader } from '../../src/archive/tar/index.ts';
import { isShaleError, type ErrorCode } from '../../src/core/errors.ts';
import { fixture } from '../helpers/fixtures.ts';

type Text = string | { base64: string };
interface GoHeader {
  name: Text;
  linkname: Text;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  uname: Text;
  gname: Text;
  size: number;
  mtime: number | null;
  atime: number | null;
  ctime: number | null;
  devmajor: number;
  devminor: number;
  xattrs: Record<string, Text>;
  pax_records: Record<string, Text>;
}
interface ReaderCase {
  file: string;
  compression: string | null;
  headers: GoHeader[];
  md5: (string | null)[] | null;
  error: null | 'header' | 'field_too_long';
}
type Segment =
  { file: string; start: number; end: number } | { zeros: number } | { garbage: number };
interface TruncationCase {
  input: Segment[];
  headers_read: number;
  result: 'eof' | 'unexpected_eof' | 'header';
}
interface PartialReadCase {
  file: string;
  reads: { entry: number; count: number; data: Text }[];
}

const expected = JSON.parse(readFileSync(fixture('go-tar', 'expected.json'), 'utf8')) as {
  reader_cases: ReaderCase[];
  truncation_cases: TruncationCase[];
  partial_read_cases: PartialReadCase[];
};

const bytesOf = (t: Text): Buffer =>
  typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t.base64, 'base64');
const byteString = (t: Text): string => bytesOf(t).toString('latin1');
const isSparse = (h: GoHeader) =>
  h.typeflag === 'S' || Object.keys(h.pax_records).some((k) => k.startsWith('GNU.sparse.'));

function comparable(h: TarHeader) {
  return {
    name: h.name,
    linkname: h.linkname,
    typeflag: h.typeflag,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    uname: h.uname,
    gname: h.gname,
    size: h.size,
    mtime: h.mtime,
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs: Object.fromEntries([...h.xattrs].map(([k, v]) => [k, v.toString('latin1')])),
    paxRecords: Object.fromEntries([...h.paxRecords].map(([k, v]) => [k, v.toString('latin1')])),
  };
}

function expectedComparable(h: GoHeader) {
  return {
    name: byteString(h.name),
    linkname: byteString(h.linkname),
    typeflag: h.typeflag,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    uname: byteString(h.uname),
    gname: byteString(h.gname),
    size: h.size,
    mtime: h.mtime ?? 0, // Go's zero time: not set
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs: Object.fromEntries(Object.entries(h.xattrs).map(([k, v]) => [k, byteString(v)])),
    paxRecords: Object.fromEntries(
      Object.entries(h.pax_records).map(([k, v]) => [k, byteString(v)]),
    ),
  };
}

async function open(c: ReaderCase): Promise<AsyncIterable<Uint8Array>> {
  const stream = createReadStream(fixture('go-tar', c.file));
  return c.compression ? (await autoDecompress(stream)).stream : stream;
}

async function readAll(source: AsyncIterable<Uint8Array>) {
  const entries: { header: TarHeader; md5: string }[] = [];
  let error: unknown;
  try {
    for await (const entry of readTar(source, { dialect: 'modern' })) {
      const hash = createHash('md5');
      for await (const chunk of entry.body) hash.update(chunk);
      entries.push({ header: entry.header, md5: hash.digest('hex') });
    }
  } catch (err) {
    error = err;
  }
  return { entries, error };
}

function assertCode(error: unknown, code: ErrorCode): void {
  assert.ok(isShaleError(error, code), `expected ${code}, got ${String(error)}`);
}

for (const c of expected.reader_cases) {
  test(`go-tar reader: ${c.file}`, async () => {
    const { entries, error } = await readAll(await open(c));
    const firstSparse = c.headers.findIndex(isSparse);
    const readable = firstSparse === -1 ? c.headers : c.headers.slice(0, firstSparse);
    assert.equal(entries.length, readable.length, `entries read (error: ${String(error)})`);
    readable.forEach((h, i) => {
      assert.deepEqual(comparable(entries[i]!.header), expectedComparable(h), `header ${i}`);
      const md5 = c.md5?.[i];
      if (md5) assert.equal(entries[i]!.md5, md5, `content of entry ${i}`);
    });
    if (firstSparse !== -1) assertCode(error, 'ERR_UNSUPPORTED');
    else if (c.error === 'header') assertCode(error, 'ERR_BAD_TAR');
    else if (c.error === 'field_too_long') assertCode(error, 'ERR_LIMIT');
    else assert.equal(error, undefined);
  });
}

const GARBAGE = Buffer.from('garbage '.repeat(64), 'latin1');

function truncationInput(segments: Segment[]): Buffer {
  return Buffer.concat(
    segments.map((s) => {
      if ('file' in s) return readFileSync(fixture('go-tar', s.file)).subarray(s.start, s.end);
      if ('zeros' in s) return Buffer.alloc(s.zeros);
      return GARBAGE.subarray(0, s.garbage);
    }),
  );
}

expected.truncation_cases.forEach((c, index) => {
  for (const drain of [true, false]) {
    test(`go-tar truncation case ${index} (${c.result}, ${drain ? 'draining' : 'skipping'} bodies)`, async () => {
      let headers = 0;
      let error: unknown;
      try {
        for await (const entry of readTar(Readable.from([truncationInput(c.input)]), {
          dialect: 'modern',
        })) {
          headers++;
          if (drain) for await (const chunk of entry.body) assert.ok(chunk.length > 0);
        }
      } catch (err) {
        error = err;
      }
      if (c.input.some((s) => 'file' in s && s.file === 'sparse-formats.tar' && s.end >= 512)) {
        // Its first entry is GNU sparse, which shale refuses instead of expanding.
        assert.equal(headers, 0);
        assertCode(error, 'ERR_UNSUPPORTED');
        return;
      }
      assert.equal(headers, c.headers_read);
      if (c.result === 'eof') assert.equal(error, undefined);
      else {
        assertCode(error, 'ERR_BAD_TAR');
        const truncated = /unexpected end/.test((error as Error).message);
        assert.equal(truncated, c.result === 'unexpected_eof', (error as Error).message);
      }
    });
  }
});

for (const c of expected.partial_read_cases) {
  test(`go-tar partial reads: ${c.file}`, async () => {
    const reads = new Map(c.reads.map((r) => [r.entry, r]));
    let index = 0;
    let error: unknown;
    try {
      for await (const entry of readTar(createReadStream(fixture('go-tar', c.file)), {
        dialect: 'modern',
      })) {
        const want = reads.get(index++)!;
        const got: Buffer[] = [];
        let size = 0;
        for await (const chunk of entry.body) {
          got.push(chunk);
          size += chunk.length;
          if (size >= want.count) break;
        }
        assert.deepEqual(Buffer.concat(got).subarray(0, want.count), bytesOf(want.data));
      }
    } catch (err) {
      error = err;
    }
    if (c.file === 'sparse-formats.tar') assertCode(error, 'ERR_UNSUPPORTED');
    else {
      assert.equal(error, undefined);
      assert.equal(index, c.reads.length);
    }
  });
}

test('go-tar hdr-only.tar: header-only types carry no content under the modern dialect', async () => {
  const { entries, error } = await readAll(createReadStream(fixture('go-tar', 'hdr-only.tar')));
  assert.equal(error, undefined);
  assert.equal(entries.length, 16);
  const empty = createHash('md5').digest('hex');
  for (let i = 0; i < 8; i++) {
    const a = comparable(entries[i]!.header);
    const b = comparable(entries[i + 8]!.header);
    assert.deepEqual({ ...a, size: 0 }, { ...b, size: 0 }, `pair ${i}`);
    for (const e of [entries[i]!, entries[i + 8]!]) {
      if (e.header.typeflag !== '0') assert.equal(e.md5, empty, `${e.header.name} has no content`);
    }
  }
});
