// Building blocks of the tar fuzz test (test/archive/tar-fuzz.test.ts): a header encoder that
// is independent of shale's writer (so it can write any bad field), the outcome of feeding an
// input through TarParser or readTar in a given chunking, and the fast-check properties that the
// fuzz child process (fuzz-tar-child.ts) runs under a watchdog.
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  readTar,
  TarParser,
  type TarDialect,
  type TarEntryLocation,
  type TarHeader,
  type TarHeaderInit,
  type TarParserHandler,
} from '../../src/archive/tar/index.ts';
import { ShaleError } from '../../src/core/errors.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

export const TYPED_CODES: readonly string[] = ['ERR_BAD_TAR', 'ERR_LIMIT', 'ERR_UNSUPPORTED'];
/** Per-case time bound (generous: the cases take milliseconds). */
export const CASE_TIME_LIMIT_MS = 2000;
export const META_LIMIT = 1 << 20;
export const META_HEADERS_LIMIT = 64;
/** Content streamed from an endless entry: twice the memory it may cost. */
const STREAMED = 128 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Raw header blocks

/** number → zero-padded octal + NUL; bigint → base-256 (two's complement); text/bytes → raw. */
export type FieldValue = number | bigint | string | Uint8Array;

const LAYOUT = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 8],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const;

export interface RawHeader {
  name?: FieldValue;
  mode?: FieldValue;
  uid?: FieldValue;
  gid?: FieldValue;
  size?: FieldValue;
  mtime?: FieldValue;
  typeflag?: string;
  linkname?: FieldValue;
  /** 'ustar' (POSIX), 'gnu' (old GNU), 'v7' (none), or raw bytes. */
  magic?: 'ustar' | 'gnu' | 'v7' | Uint8Array;
  uname?: FieldValue;
  gname?: FieldValue;
  devmajor?: FieldValue;
  devminor?: FieldValue;
  prefix?: FieldValue;
  /** 'ok' (correct), a number to store instead, or raw bytes. */
  checksum?: 'ok' | number | Uint8Array;
}

function put(block: Buffer, [offset, length]: readonly [number, number], value: FieldValue): void {
  const target = block.subarray(offset, offset + length);
  target.fill(0);
  if (typeof value === 'number') {
    const digits = value.toString(8).padStart(length - 1, '0');
    if (value < 0 || digits.length > length - 1)
      throw new Error(`octal ${value} does not fit ${length} bytes`);
    target.write(digits, 'latin1');
  } else if (typeof value === 'bigint') {
    let v = BigInt.asUintN(length * 8, value);
    for (let i = length - 1; i >= 0; i--) {
      target[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    target[0] = target[0]! | 0x80;
  } else {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
    bytes.copy(target, 0, 0, length);
  }
}

export function unsignedSum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

export function rawHeader(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  put(block, LAYOUT.name, h.name ?? 'file');
  put(block, LAYOUT.mode, h.mode ?? 0o644);
  put(block, LAYOUT.uid, h.uid ?? 0);
  put(block, LAYOUT.gid, h.gid ?? 0);
  put(block, LAYOUT.size, h.size ?? 0);
  put(block, LAYOUT.mtime, h.mtime ?? 0);
  put(block, LAYOUT.typeflag, h.typeflag ?? '0');
  put(block, LAYOUT.linkname, h.linkname ?? '');
  const magic = h.magic ?? 'ustar';
  if (magic === 'ustar') put(block, LAYOUT.magic, 'ustar\x0000');
  else if (magic === 'gnu') put(block, LAYOUT.magic, 'ustar  \x00');
  else if (magic !== 'v7') put(block, LAYOUT.magic, magic);
  if (magic !== 'v7') {
    put(block, LAYOUT.uname, h.uname ?? '');
    put(block, LAYOUT.gname, h.gname ?? '');
    put(block, LAYOUT.devmajor, h.devmajor ?? 0);
    put(block, LAYOUT.devminor, h.devminor ?? 0);
    if (h.prefix !== undefined) put(block, LAYOUT.prefix, h.prefix);
  }
  const checksum = h.checksum ?? 'ok';
  if (checksum instanceof Uint8Array) put(block, LAYOUT.chksum, checksum);
  else {
    const value = checksum === 'ok' ? unsignedSum(block) : checksum;
    block.write(`${value.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  }
  return block;
}

export const zeros = (n: number) => Buffer.alloc(n);
export const pad = (n: number) => zeros((512 - (n % 512)) % 512);

/** A header followed by its body and padding; the size field defaults to the body length. */
export function rawEntry(h: RawHeader, body: Uint8Array = Buffer.alloc(0)): Buffer {
  return Buffer.concat([rawHeader({ size: body.length, ...h }), body, pad(body.length)]);
}

/** One PAX record; `length` overrides the (otherwise correct) decimal length prefix. */
export function paxRecord(key: string, value: string | Uint8Array, length?: string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  const rest = Buffer.byteLength(key, 'latin1') + v.length + 3;
  let n = rest + String(rest).length;
  if (String(n).length !== String(rest).length) n = rest + String(n).length;
  return Buffer.concat([Buffer.from(`${length ?? n} ${key}=`, 'latin1'), v, Buffer.from('\n')]);
}

// ---------------------------------------------------------------------------------------------
// Outcomes

export interface EntryView {
  header: Record<string, unknown>;
  location: Record<string, unknown>;
  body: string;
  bodyLength: number;
  complete: boolean;
}

export type End = { ok: true } | { ok: false; code: string; message: string };

export interface Outcome {
  entries: EntryView[];
  end: End;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function headerView(h: TarHeader): Record<string, unknown> {
  const map = (m: Map<string, Buffer>) => [...m].map(([k, v]) => [k, hex(v)]);
  return {
    name: h.name,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime,
    mtimeNsec: h.mtimeNsec,
    atime: h.atime,
    ctime: h.ctime,
    typeflag: h.typeflag,
    linkname: h.linkname,
    uname: h.uname,
    gname: h.gname,
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs: map(h.xattrs),
    paxRecords: map(h.paxRecords),
    format: h.format,
  };
}

function locationView(l: TarEntryLocation): Record<string, unknown> {
  return {
    headerOffset: l.headerOffset,
    dataOffset: l.dataOffset,
    paddingSize: l.paddingSize,
    rawHeader: createHash('sha256').update(l.rawHeader).digest('hex'),
    rawHeaderLength: l.rawHeader.length,
  };
}

/** Anything but a typed tar error is a crash: rethrown with its stack for fast-check to report. */
export function classify(err: unknown): End {
  const typed =
    err instanceof ShaleError &&
    TYPED_CODES.includes(err.code) &&
    (err.cause === undefined || err.cause instanceof ShaleError);
  if (typed) return { ok: false, code: err.code, message: err.message };
  const cause =
    err instanceof Error && err.cause instanceof Error ? `\ncaused by ${err.cause.stack}` : '';
  throw new Error(
    `not a typed tar error: ${err instanceof Error ? err.stack : String(err)}${cause}`,
  );
}

export type Chunking = (index: number) => number;

export function* chunksOf(input: Buffer, chunking: Chunking): Generator<Buffer> {
  for (let pos = 0, i = 0; pos < input.length; i++) {
    const n = Math.max(1, chunking(i));
    yield input.subarray(pos, pos + n);
    pos += n;
  }
}

/**
 * A synchronous iterable as an async one, one step per pull (no read-ahead, unlike
 * Readable.from), so that tests can count exactly how far readTar read its source.
 */
export function asAsync<T>(iterable: Iterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = iterable[Symbol.iterator]();
      return {
        next: () => Promise.resolve(it.next()),
        return: (value?: unknown) =>
          Promise.resolve(it.return?.(value) ?? { done: true as const, value: undefined }),
      };
    },
  };
}

class EntryBuilder {
  private readonly hash = createHash('sha256');
  private length = 0;
  constructor(
    private readonly header: Record<string, unknown>,
    private readonly location: Record<string, unknown>,
  ) {}
  add(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.length += chunk.length;
  }
  view(complete: boolean): EntryView {
    return {
      header: this.header,
      location: this.location,
      body: this.hash.copy().digest('hex'),
      bodyLength: this.length,
      complete,
    };
  }
}

/** Push `input` through a TarParser in the given chunking; also checks the handler protocol. */
export function parseWith(
  input: Buffer,
  chunking: Chunking,
  dialect: TarDialect,
): Outcome & { endInfo?: unknown } {
  const entries: EntryView[] = [];
  let current: EntryBuilder | undefined;
  let endInfo: unknown;
  const protocol = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`TarParser handler protocol violated: ${what}`);
  };
  const handler: TarParserHandler = {
    entry(header, location) {
      protocol(
        current === undefined && endInfo === undefined,
        'entry inside an entry or after end',
      );
      current = new EntryBuilder(headerView(header), locationView(location));
    },
    data(chunk) {
      protocol(current !== undefined && chunk.length > 0, 'data outside an entry, or empty');
      current!.add(chunk);
    },
    entryEnd() {
      protocol(current !== undefined, 'entryEnd outside an entry');
      entries.push(current!.view(true));
      current = undefined;
    },
    end(info) {
      protocol(current === undefined && endInfo === undefined, 'end inside an entry or twice');
      endInfo = info;
    },
  };
  const parser = new TarParser(handler, { dialect });
  let end: End;
  try {
    for (const chunk of chunksOf(input, chunking)) parser.write(chunk);
    parser.end();
    end = { ok: true };
    assert.ok(endInfo !== undefined, 'parser.end() returned without an end event');
  } catch (err) {
    const failure = classify(err);
    end = failure;
    // A failed parser stays failed, with the same error.
    assert.throws(
      () => parser.write(Buffer.alloc(1)),
      (again) => again instanceof ShaleError && !failure.ok && again.message === failure.message,
    );
  }
  if (current) entries.push(current.view(false));
  return { entries, end, endInfo };
}

/** The same through readTar; `readBodies: false` skips every body. */
export async function readWith(
  input: Buffer,
  chunking: Chunking,
  dialect: TarDialect,
  readBodies: boolean,
): Promise<Outcome> {
  const entries: EntryView[] = [];
  let current: EntryBuilder | undefined;
  let end: End;
  try {
    for await (const entry of readTar(asAsync(chunksOf(input, chunking)), { dialect })) {
      current = new EntryBuilder(headerView(entry.header), locationView(entry.location));
      if (readBodies) {
        for await (const chunk of entry.body) current.add(chunk);
        entries.push(current.view(true));
        current = undefined;
      } else {
        entries.push(current.view(false));
        current = undefined;
      }
    }
    end = { ok: true };
  } catch (err) {
    end = classify(err);
  }
  if (current) entries.push(current.view(false));
  return { entries, end };
}

const headersOnly = (o: Outcome) => ({
  headers: o.entries.map((e) => [e.header, e.location]),
  end: o.end,
});

/**
 * The core invariant: one result per input, whatever the chunking and whichever API reads it,
 * and that result is a clean read or a typed error. Returns the (whole-input) outcome.
 */
export async function checkInput(
  input: Buffer,
  dialect: TarDialect,
  sizes: number[],
): Promise<Outcome> {
  const started = performance.now();
  const random: Chunking = (i) => sizes[i % sizes.length]!;
  const whole = parseWith(input, () => input.length, dialect);
  for (const [label, chunking] of [
    ['1-byte', () => 1],
    ['7-byte', () => 7],
    ['512-byte', () => 512],
    ['random', random],
  ] as [string, Chunking][]) {
    assert.deepStrictEqual(
      parseWith(input, chunking, dialect),
      whole,
      `TarParser, ${label} chunks vs one chunk`,
    );
  }
  const expected: Outcome = { entries: whole.entries, end: whole.end };
  assert.deepStrictEqual(
    await readWith(input, () => input.length, dialect, true),
    expected,
    'readTar, one chunk',
  );
  assert.deepStrictEqual(
    await readWith(input, random, dialect, true),
    expected,
    'readTar, random chunks',
  );
  assert.deepStrictEqual(
    headersOnly(await readWith(input, random, dialect, false)),
    headersOnly(expected),
    'readTar skipping bodies',
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed < CASE_TIME_LIMIT_MS, `case took ${elapsed.toFixed(0)} ms`);
  return expected;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const dialectArb = fc.constantFrom<TarDialect>('modern', 'go1.4');
const chunkSizesArb = fc.array(
  fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1100 })),
  { minLength: 1, maxLength: 10 },
);
const TYPEFLAGS = [
  '0',
  '\0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  'x',
  'g',
  'L',
  'K',
  'S',
  'D',
  'M',
  'V',
  'A',
];

function numericFieldArb(width: number): fc.Arbitrary<FieldValue> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 8 ** (width - 1) - 1 }) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: width, maxLength: width }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(' 644 \0', '  \0', '', '0000000000000000', '7777777\0'),
    },
  );
}

const paxKeyArb = fc.constantFrom(
  'path',
  'linkpath',
  'uname',
  'gname',
  'uid',
  'gid',
  'size',
  'mtime',
  'atime',
  'ctime',
  'SCHILY.xattr.user.a',
  'GNU.sparse.size',
  'hdrcharset',
  'comment',
  'k',
);
const paxValueArb = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '12',
    '-5',
    '1.5',
    '-1.25',
    '99999999999999999999',
    '1e3',
    'abc',
    'a\0b',
  ),
  fc.integer({ min: -1000, max: 100000 }).map(String),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
);
const paxRecordArb = fc
  .tuple(
    paxKeyArb,
    paxValueArb,
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('0', '5', 'x', '99999999999', '-3', '') },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 80 }).map(String) },
    ),
  )
  .map(([k, v, len]) => paxRecord(k, v, len));

/** A header block with random (mostly plausible) fields, and a body to match. */
const randomEntryArb = fc
  .record({
    typeflag: fc.constantFrom(...TYPEFLAGS),
    name: fc.oneof(fc.constantFrom('a', 'dir/', 'x/y/z'), fc.uint8Array({ maxLength: 100 })),
    linkname: fc.oneof(fc.constant(''), fc.uint8Array({ maxLength: 100 })),
    mode: numericFieldArb(8),
    uid: numericFieldArb(8),
    mtime: numericFieldArb(12),
    devmajor: numericFieldArb(8),
    magic: fc.constantFrom<RawHeader['magic']>(
      'ustar',
      'ustar',
      'gnu',
      'v7',
      Buffer.from('ustar\0xx'),
    ),
    prefix: fc.oneof(fc.constant(''), fc.uint8Array({ maxLength: 155 })),
    body: fc.oneof(
      fc.uint8Array({ maxLength: 1200 }),
      fc.array(paxRecordArb, { maxLength: 4 }).map((r) => Buffer.concat(r)),
    ),
    sizeField: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: numericFieldArb(12) },
    ),
    checksum: fc.oneof(
      { weight: 10, arbitrary: fc.constant<'ok'>('ok') },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0o777777 }) },
    ),
  })
  .map((r) =>
    Buffer.concat([
      rawHeader({ ...r, size: r.sizeField ?? r.body.length }),
      r.body,
      pad(r.body.length),
    ]),
  );

const trailerArb = fc.constantFrom(
  zeros(1024),
  zeros(512),
  zeros(0),
  Buffer.concat([zeros(1024), Buffer.from('junk after the end')]),
);

// Entries for TarWriter: names without NUL (ustar fields are NUL-terminated), xattr names
// without '=' (TarWriter refuses them).
const nameArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,12}(\/[a-z0-9._-]{1,12}){0,3}$/),
  fc.integer({ min: 100, max: 300 }).map((n) => `${'d'.repeat(60)}/${'e'.repeat(n - 61)}`),
  fc
    .uint8Array({ minLength: 1, maxLength: 160 })
    .map((b) => Buffer.from(b.map((x) => x || 0x5f)).toString('latin1')),
);
const writerEntryArb: fc.Arbitrary<{ header: TarHeaderInit; body: Buffer }> = fc
  .record({
    name: nameArb,
    kind: fc.constantFrom('0', '0', '0', '1', '2', '3', '4', '5', '6'),
    body: fc.uint8Array({ maxLength: 1500 }),
    linkname: fc.oneof(nameArb, fc.constant('')),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 2 ** 40 })),
    mtime: fc.integer({ min: -(2 ** 34), max: 2 ** 35 }),
    mtimeNsec: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 })),
    uname: fc.stringMatching(/^[a-z]{0,40}$/),
    dev: fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 1048575 })),
    xattrs: fc.uniqueArray(
      fc.tuple(fc.stringMatching(/^user\.[a-z%. ]{1,10}$/), fc.uint8Array({ maxLength: 30 })),
      {
        selector: ([k]) => k,
        maxLength: 2,
      },
    ),
  })
  .map((r) => {
    const content = r.kind === '0' ? Buffer.from(r.body) : Buffer.alloc(0);
    const device = r.kind === '3' || r.kind === '4';
    return {
      header: {
        name: r.name,
        typeflag: r.kind,
        size: content.length,
        mode: r.mode,
        uid: r.uid,
        gid: r.uid,
        mtime: r.mtime,
        mtimeNsec: r.mtime < 0 ? -r.mtimeNsec : r.mtimeNsec,
        linkname: r.kind === '1' || r.kind === '2' ? r.linkname : '',
        uname: r.uname,
        devmajor: device ? r.dev[0] : 0,
        devminor: device ? r.dev[1] : 0,
        xattrs: new Map(r.xattrs.map(([k, v]) => [k, Buffer.from(v)])),
      },
      body: content,
    };
  });

/** Old-GNU long name / long link entries and a global PAX header, built by hand. */
const gnuSegmentArb = fc.oneof(
  fc.tuple(fc.constant('L'), nameArb).map(([, name]) => ({
    name,
    bytes: Buffer.concat([
      rawEntry(
        { name: '././@LongLink', typeflag: 'L', magic: 'gnu' },
        Buffer.from(`${name}\0`, 'latin1'),
      ),
      rawEntry(
        { name: name.slice(0, 100), typeflag: '0', magic: 'gnu' },
        Buffer.from('gnu long-name body'),
      ),
    ]),
  })),
  fc.tuple(fc.constant('K'), nameArb).map(([, target]) => ({
    name: 'link',
    bytes: Buffer.concat([
      rawEntry(
        { name: '././@LongLink', typeflag: 'K', magic: 'gnu' },
        Buffer.from(target, 'latin1'),
      ),
      rawEntry({ name: 'link', typeflag: '2', linkname: target.slice(0, 100), magic: 'gnu' }),
    ]),
  })),
  fc.constant({
    name: 'pax_global_header',
    bytes: rawEntry({ name: 'pax_global_header', typeflag: 'g' }, paxRecord('comment', 'global')),
  }),
);

type Mutation =
  | { kind: 'flip'; pos: number; mask: number }
  | { kind: 'field'; block: number; offset: number; value: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'delete'; pos: number; length: number }
  | { kind: 'zero-block'; block: number };

const INTERESTING_OFFSETS = [
  0, 99, 100, 107, 108, 124, 125, 135, 136, 148, 154, 155, 156, 157, 257, 262, 263, 329, 345, 499,
  511,
];
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    pos: fc.nat(),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('field' as const),
    block: fc.nat(),
    offset: fc.oneof(fc.constantFrom(...INTERESTING_OFFSETS), fc.integer({ min: 0, max: 511 })),
    value: fc.oneof(
      fc.constantFrom(0x00, 0x20, 0x30, 0x37, 0x38, 0x39, 0x80, 0xff, 0x78, 0x4c),
      fc.integer({ min: 0, max: 255 }),
    ),
  }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    pos: fc.nat(),
    length: fc.integer({ min: 1, max: 700 }),
  }),
  fc.record({ kind: fc.constant('zero-block' as const), block: fc.nat() }),
);

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let out = Buffer.from(input);
  for (const m of mutations) {
    const blocks = Math.max(1, Math.ceil(out.length / 512));
    const at = (pos: number) => (out.length === 0 ? 0 : pos % out.length);
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[at(m.pos)] = out[at(m.pos)]! ^ m.mask;
        break;
      case 'field': {
        const pos = (m.block % blocks) * 512 + m.offset;
        if (pos < out.length) out[pos] = m.value;
        break;
      }
      case 'truncate':
        out = out.subarray(0, at(m.pos));
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at(m.pos)), m.bytes, out.subarray(at(m.pos))]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at(m.pos)), out.subarray(at(m.pos) + m.length)]);
        break;
      case 'zero-block': {
        const pos = (m.block % blocks) * 512;
        if (pos < out.length) out.fill(0, pos, Math.min(out.length, pos + 512));
        break;
      }
    }
  }
  return out;
}

/** A crafted input and what it must give. */
interface Crafted {
  label: string;
  input: Buffer;
  expect: { code: string } | { names: string[] };
}

const FILE_AFTER = rawEntry({ name: 'after' }, Buffer.from('data after the metadata'));
const END = zeros(1024);

const craftedArb: fc.Arbitrary<Crafted> = fc
  .oneof(
    // A checksum that matches neither sum (ASCII-only block: both sums are equal).
    fc
      .tuple(fc.stringMatching(/^[a-z]{1,30}$/), fc.integer({ min: 1, max: 5000 }), fc.boolean())
      .map(([name, delta, up]) => {
        const sum = unsignedSum(rawHeader({ name }));
        const stored = up || sum - delta < 0 ? sum + delta : sum - delta;
        return {
          label: 'bad checksum',
          input: Buffer.concat([rawHeader({ name, checksum: stored }), END]),
          expect: { code: 'ERR_BAD_TAR' },
        };
      }),
    fc.constantFrom('', '       ', 'abcdefg', '\xff\xff\xff\xff\xff\xff\xff\xff').map((chk) => ({
      label: 'unreadable checksum',
      input: Buffer.concat([rawHeader({ checksum: Buffer.from(chk, 'latin1') }), END]),
      expect: { code: 'ERR_BAD_TAR' },
    })),
    // A non-octal digit inside a numeric field that both dialects parse.
    fc
      .tuple(
        fc.constantFrom<['mode' | 'uid' | 'gid' | 'size' | 'mtime', number]>(
          ['mode', 8],
          ['uid', 8],
          ['gid', 8],
          ['size', 12],
          ['mtime', 12],
        ),
        fc.nat(),
        fc.constantFrom('8', '9', 'x', '-', '+', ':', '.', 'A'),
      )
      .map(([[fieldName, width], pos, bad]) => {
        const digits = '1'.repeat(width - 1).split('');
        digits[pos % (width - 1)] = bad;
        return {
          label: `bad octal in ${fieldName}`,
          input: Buffer.concat([rawHeader({ [fieldName]: `${digits.join('')}\0` }), END]),
          expect: { code: 'ERR_BAD_TAR' },
        };
      }),
    // Base-256 sizes: negative, or beyond 2^53 (must be refused, not allocated or rounded).
    fc
      .oneof(
        fc.bigInt({ min: -(1n << 94n), max: -1n }),
        fc.constant(1n << 62n),
        fc.bigInt({ min: 1n << 53n, max: (1n << 94n) - 1n }),
      )
      .chain((size) => fc.constantFrom('0', 'x', 'L', '5').map((typeflag) => ({ size, typeflag })))
      .map(({ size, typeflag }) => ({
        label: `base-256 size ${size} (type ${typeflag})`,
        input: Buffer.concat([rawHeader({ size, typeflag }), zeros(4096)]),
        expect: { code: 'ERR_BAD_TAR' },
      })),
    // Huge but representable sizes: data sections run past the input (truncated), metadata is refused.
    fc
      .tuple(
        fc.oneof(
          fc.integer({ min: 2 ** 30, max: 8 ** 11 - 1 }),
          fc.bigInt({ min: 1n << 33n, max: (1n << 53n) - 1n }),
        ),
        fc.constantFrom('0', '7', 'x', 'L', 'K'),
      )
      .map(([size, typeflag]) => ({
        label: `huge size ${size} (type ${typeflag})`,
        input: Buffer.concat([rawHeader({ size, typeflag }), zeros(3000)]),
        expect: { code: typeflag === '0' || typeflag === '7' ? 'ERR_BAD_TAR' : 'ERR_LIMIT' },
      })),
    fc.integer({ min: META_LIMIT + 1, max: 8 ** 11 - 1 }).map((size) => ({
      label: `PAX header of ${size} bytes`,
      input: Buffer.concat([rawHeader({ size, typeflag: 'x' }), zeros(1024)]),
      expect: { code: 'ERR_LIMIT' },
    })),
    // PAX records whose length prefix lies (values hold no newline, so only the true end fits).
    fc
      .tuple(
        fc.constantFrom('path', 'comment', 'uid', 'mtime', 'SCHILY.xattr.user.x'),
        fc.stringMatching(/^[a-z0-9]{1,40}$/),
        fc.oneof(
          fc.integer({ min: 1, max: 600 }).map((d) => ({ kind: 'too long', delta: d })),
          fc.integer({ min: 1, max: 60 }).map((d) => ({ kind: 'too short', delta: -d })),
          fc
            .constantFrom(
              '0',
              '00',
              '4',
              '1x',
              'x1',
              '-5',
              '+9',
              ' ',
              '99999999999',
              '123456789012345678901234',
            )
            .map((text) => ({ kind: text, delta: 0 })),
        ),
      )
      .map(([key, value, lie]) => {
        const honest = paxRecord(key, value);
        const trueLength = Number(honest.toString('latin1').split(' ')[0]);
        const length = lie.delta === 0 ? lie.kind : String(Math.max(0, trueLength + lie.delta));
        const body = paxRecord(key, value, length);
        return {
          label: `PAX record length ${JSON.stringify(length)} (${lie.kind}) for ${trueLength}`,
          input: Buffer.concat([
            rawEntry({ name: 'PaxHeaders/x', typeflag: 'x' }, body),
            FILE_AFTER,
            END,
          ]),
          expect: { code: 'ERR_BAD_TAR' },
        };
      }),
    // PAX records with honest lengths and bad content.
    fc
      .constantFrom<[string, string, string]>(
        ['uid', 'abc', 'ERR_BAD_TAR'],
        ['size', '-1', 'ERR_BAD_TAR'],
        ['size', '99999999999999999999', 'ERR_BAD_TAR'],
        ['mtime', 'yesterday', 'ERR_BAD_TAR'],
        ['gid', '1.5', 'ERR_BAD_TAR'],
        ['path', 'a\0b', 'ERR_BAD_TAR'],
        ['GNU.sparse.size', '10', 'ERR_UNSUPPORTED'],
        ['GNU.sparse.major', '1', 'ERR_UNSUPPORTED'],
      )
      .map(([key, value, code]) => ({
        label: `PAX ${key}=${JSON.stringify(value)}`,
        input: Buffer.concat([
          rawEntry({ name: 'PaxHeaders/x', typeflag: 'x' }, paxRecord(key, value)),
          FILE_AFTER,
          END,
        ]),
        expect: { code },
      })),
    fc.constantFrom('no space', 'no equals').map((kind) => ({
      label: `PAX record with ${kind}`,
      input: Buffer.concat([
        rawEntry(
          { name: 'PaxHeaders/x', typeflag: 'x' },
          Buffer.from(kind === 'no space' ? '12path=abcd\n' : '12 pathabcd\n', 'latin1'),
        ),
        FILE_AFTER,
        END,
      ]),
      expect: { code: 'ERR_BAD_TAR' },
    })),
    // A PAX size record that promises more data than there is.
    fc.integer({ min: 4096, max: Number.MAX_SAFE_INTEGER }).map((size) => ({
      label: `PAX size=${size}`,
      input: Buffer.concat([
        rawEntry({ name: 'PaxHeaders/x', typeflag: 'x' }, paxRecord('size', String(size))),
        rawEntry({ name: 'f' }),
        END,
      ]),
      expect: { code: 'ERR_BAD_TAR' },
    })),
    // Chains of GNU long-name headers: up to the limit they are fine, beyond it ERR_LIMIT.
    fc
      .tuple(
        fc.oneof(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 3000 })),
        fc.constantFrom('L', 'K', 'LKx'),
      )
      .map(([count, kinds]) => {
        const parts: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          const type = kinds[i % kinds.length]!;
          parts.push(
            type === 'x'
              ? rawEntry({ name: 'PaxHeaders/x', typeflag: 'x' }, paxRecord('comment', `n${i}`))
              : rawEntry(
                  { name: '././@LongLink', typeflag: type, magic: 'gnu' },
                  Buffer.from(`long-${i}\0`, 'latin1'),
                ),
          );
        }
        const lastL = [...Array(count).keys()]
          .reverse()
          .find((i) => kinds[i % kinds.length] === 'L');
        parts.push(rawEntry({ name: 'short', typeflag: '0', magic: 'gnu' }), END);
        return {
          label: `${count} metadata headers (${kinds})`,
          input: Buffer.concat(parts),
          expect:
            count > META_HEADERS_LIMIT
              ? { code: 'ERR_LIMIT' }
              : { names: [lastL === undefined ? 'short' : `long-${lastL}`] },
        };
      }),
    // End-of-archive handling.
    fc
      .oneof(
        fc.uint8Array({ minLength: 512, maxLength: 512 }),
        fc.constant(rawHeader({ name: 'late' })),
      )
      .map((block) => ({
        label: 'a zero block followed by a non-zero block',
        input: Buffer.concat([
          rawEntry({ name: 'first' }),
          zeros(512),
          block.every((b) => b === 0) ? Buffer.from('x') : block,
          zeros(512),
        ]),
        expect: { code: 'ERR_BAD_TAR' },
      })),
    fc.integer({ min: 0, max: 1100 }).map((tail) => ({
      label: `valid entry then ${tail} zero bytes`,
      input: Buffer.concat([rawEntry({ name: 'first' }, Buffer.from('abc')), zeros(tail)]),
      // Past two zero blocks the rest is ignored; before them only whole zero blocks may follow.
      expect: tail % 512 === 0 || tail >= 1024 ? { names: ['first'] } : { code: 'ERR_BAD_TAR' },
    })),
    fc.constant<Crafted>({
      // As Go's archive/tar: input ending after a metadata header, at a block boundary, is a
      // normal end (the metadata is dropped).
      label: 'metadata header and then the end of the input',
      input: rawEntry({ name: 'PaxHeaders/x', typeflag: 'x' }, paxRecord('path', 'p')),
      expect: { names: [] },
    }),
    fc.constantFrom(512, 1024).map((tail) => ({
      label: `metadata header followed by ${tail} zero bytes`,
      input: Buffer.concat([
        rawEntry({ name: 'PaxHeaders/x', typeflag: 'x' }, paxRecord('path', 'p')),
        zeros(tail),
      ]),
      expect: { code: 'ERR_BAD_TAR' },
    })),
    fc.constant({
      label: 'GNU sparse entry',
      input: Buffer.concat([rawEntry({ name: 'sparse', typeflag: 'S', magic: 'gnu' }), END]),
      expect: { code: 'ERR_UNSUPPORTED' },
    }),
    // Truncation of a valid archive. As Go's archive/tar: the end of the input at a header
    // boundary, right after an entry's content or inside its padding is a normal end; inside a
    // header block, content or a metadata body it is ERR_BAD_TAR.
    fc.nat().map((cut) => {
      const a = rawEntry({ name: 'a' }, Buffer.alloc(700, 1)); // header 0–512, content –1212, padding –1536
      const paxBody = paxRecord('path', 'b'.repeat(150));
      const pax = rawEntry({ name: 'PaxHeaders/b', typeflag: 'x' }, paxBody); // 1536–2048, body, padding –2560
      const b = rawEntry({ name: 'b' }, Buffer.alloc(10, 2)); // 2560–3072, content –3082, padding –3584
      const whole = Buffer.concat([a, pax, b]);
      const at = cut % whole.length;
      const paxEnd = 2048 + paxBody.length;
      const names =
        at === 0
          ? []
          : at >= 1212 && at <= 1536
            ? ['a']
            : at >= paxEnd && at <= 2560
              ? ['a']
              : at >= 3082
                ? ['a', 'b'.repeat(150)]
                : undefined;
      return {
        label: `valid archive cut at ${at}`,
        input: whole.subarray(0, at),
        expect: names ? { names } : { code: 'ERR_BAD_TAR' },
      };
    }),
  )
  // Reported by its label (the bytes follow from it), not as a dump of the whole input.
  .map((c: Crafted): Crafted =>
    Object.assign(c, { [fc.toStringMethod]: () => `${c.label} (${c.input.length} bytes)` }),
  );

// ---------------------------------------------------------------------------------------------
// Properties (run by fuzz-tar-child.ts; `onCase` is the watchdog heartbeat)

export type OnCase = (description: string, input: Buffer) => void;

export interface CheckResult {
  failed: boolean;
  numRuns: number;
  report: string;
}

async function check<Ts extends unknown[]>(
  property: fc.IAsyncPropertyWithHooks<Ts>,
  numRuns: number,
): Promise<CheckResult> {
  const details = await fc.check(property, { numRuns, includeErrorInReport: true });
  return {
    failed: details.failed,
    numRuns: details.numRuns,
    report: fc.defaultReportMessage(details) ?? '',
  };
}

export const PROPERTIES: Record<string, (onCase: OnCase, numRuns: number) => Promise<CheckResult>> =
  {
    'random bytes': (onCase, numRuns) =>
      check(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 4096 }),
            // Random blocks behind one valid header, so that the parser gets past the first checksum.
            fc
              .uint8Array({ maxLength: 3000 })
              .map((b) => Buffer.concat([rawHeader({ size: b.length }), b])),
          ),
          dialectArb,
          chunkSizesArb,
          async (bytes, dialect, sizes) => {
            const input = Buffer.from(bytes);
            onCase('random bytes', input);
            await checkInput(input, dialect, sizes);
          },
        ),
        numRuns,
      ),

    'random headers': (onCase, numRuns) =>
      check(
        fc.asyncProperty(
          fc.array(randomEntryArb, { minLength: 1, maxLength: 5 }),
          trailerArb,
          dialectArb,
          chunkSizesArb,
          async (entries, trailer, dialect, sizes) => {
            const input = Buffer.concat([...entries, trailer]);
            onCase('random headers', input);
            await checkInput(input, dialect, sizes);
          },
        ),
        numRuns,
      ),

    'mutated archives': (onCase, numRuns) =>
      check(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              { weight: 4, arbitrary: writerEntryArb.map((e) => ({ writer: e })) },
              { weight: 1, arbitrary: gnuSegmentArb.map((g) => ({ gnu: g })) },
            ),
            { maxLength: 8 },
          ),
          trailerArb,
          fc.oneof(
            { weight: 1, arbitrary: fc.constant<Mutation[]>([]) },
            { weight: 6, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) },
          ),
          dialectArb,
          chunkSizesArb,
          async (segments, trailer, mutations, dialect, sizes) => {
            const parts: Buffer[] = [];
            const names: string[] = [];
            for (const s of segments) {
              if ('writer' in s) {
                const archive = await tarBytes([s.writer]);
                parts.push(archive.subarray(0, archive.length - 1024));
                names.push(s.writer.header.name);
              } else {
                parts.push(s.gnu.bytes);
                names.push(s.gnu.name);
              }
            }
            const original = Buffer.concat([...parts, trailer]);
            const input = mutate(original, mutations);
            onCase(`mutated archive ${JSON.stringify(mutations.map((m) => m.kind))}`, input);
            const outcome = await checkInput(input, dialect, sizes);
            if (mutations.length === 0) {
              // Unmutated: a clean read of exactly the entries that went in (so the harness can fail).
              assert.deepStrictEqual(outcome.end, { ok: true }, 'unmutated archive reads cleanly');
              assert.deepStrictEqual(
                outcome.entries.map((e) => e.header.name),
                names,
                'unmutated archive gives back its entry names',
              );
              const bodies = segments.map((s) =>
                'writer' in s
                  ? createHash('sha256').update(s.writer.body).digest('hex')
                  : undefined,
              );
              outcome.entries.forEach((e, i) => {
                if (bodies[i] !== undefined) assert.equal(e.body, bodies[i], `body of entry ${i}`);
              });
            }
          },
        ),
        numRuns,
      ),

    'crafted headers': (onCase, numRuns) =>
      check(
        fc.asyncProperty(craftedArb, dialectArb, chunkSizesArb, async (crafted, dialect, sizes) => {
          onCase(crafted.label, crafted.input);
          const outcome = await checkInput(crafted.input, dialect, sizes);
          if ('code' in crafted.expect) {
            assert.ok(
              !outcome.end.ok && outcome.end.code === crafted.expect.code,
              `${crafted.label}: expected ${crafted.expect.code}, got ${JSON.stringify(outcome.end)}`,
            );
          } else {
            assert.deepStrictEqual(outcome.end, { ok: true }, crafted.label);
            assert.deepStrictEqual(
              outcome.entries.map((e) => e.header.name),
              crafted.expect.names,
              crafted.label,
            );
          }
        }),
        numRuns,
      ),

    'endless sources': (onCase, numRuns) =>
      check(
        fc.asyncProperty(
          fc.oneof(
            // Metadata bigger than the limit, followed by an endless body: refused at its header.
            fc
              .tuple(
                fc.constantFrom('x', 'L', 'K'),
                fc.oneof(
                  fc.integer({ min: META_LIMIT + 1, max: 8 ** 11 - 1 }),
                  fc.bigInt({ min: 1n << 33n, max: (1n << 53n) - 1n }),
                ),
              )
              .map(([typeflag, size]) => ({ kind: 'big metadata' as const, typeflag, size })),
            // Metadata headers without end: refused after the 64th.
            fc
              .tuple(
                fc.constantFrom('L', 'K', 'x', 'LKx'),
                fc.integer({ min: 1, max: 9 }),
                fc.integer({ min: 0, max: 700 }),
              )
              .map(([types, perChunk, bodySize]) => ({
                kind: 'endless chain' as const,
                types,
                perChunk,
                bodySize,
              })),
            // Content of (nearly) endless size: streamed, never gathered.
            fc
              .oneof(fc.constant<FieldValue>(8 ** 11 - 1), fc.constant<FieldValue>(1n << 45n))
              .map((size) => ({ kind: 'endless content' as const, size })),
          ),
          dialectArb,
          async (c, dialect) => {
            const started = performance.now();
            const filler = Buffer.alloc(64 * 1024, 0x61);
            let pulled = 0;
            let released = false;
            let source: () => Generator<Buffer>;
            if (c.kind === 'big metadata') {
              const header = rawHeader({
                name: '././@LongLink',
                typeflag: c.typeflag,
                size: c.size,
                magic: 'gnu',
              });
              onCase(`${c.typeflag} header of ${String(c.size)} bytes, endless body`, header);
              source = function* () {
                try {
                  yield header;
                  for (;;) {
                    pulled++;
                    yield filler;
                  }
                } finally {
                  released = true;
                }
              };
            } else if (c.kind === 'endless chain') {
              const one = (i: number) => {
                const type = c.types[i % c.types.length]!;
                return type === 'x'
                  ? rawEntry(
                      { name: 'PaxHeaders/x', typeflag: 'x' },
                      paxRecord('comment', 'c'.repeat(c.bodySize)),
                    )
                  : rawEntry(
                      { name: '././@LongLink', typeflag: type, magic: 'gnu' },
                      Buffer.alloc(c.bodySize, 0x6e),
                    );
              };
              onCase(`endless ${c.types} chain, ${c.perChunk} per chunk`, one(0));
              source = function* () {
                try {
                  for (let i = 0; ; i += c.perChunk) {
                    pulled++;
                    yield Buffer.concat(Array.from({ length: c.perChunk }, (_, k) => one(i + k)));
                  }
                } finally {
                  released = true;
                }
              };
            } else {
              const header = rawHeader({ name: 'huge', size: c.size });
              onCase(`content of ${String(c.size)} bytes`, header);
              source = function* () {
                try {
                  yield header;
                  for (;;) {
                    pulled++;
                    yield filler;
                  }
                } finally {
                  released = true;
                }
              };
            }
            let error: unknown;
            let streamed = 0;
            const rssBefore = process.memoryUsage().rss;
            try {
              for await (const entry of readTar(asAsync(source()), { dialect })) {
                assert.equal(c.kind, 'endless content', 'an entry from an endless metadata chain');
                for await (const chunk of entry.body) {
                  streamed += chunk.length;
                  if (streamed >= STREAMED) break;
                }
                break;
              }
            } catch (err) {
              error = err;
            }
            const rssGrowth = process.memoryUsage().rss - rssBefore;
            if (c.kind === 'endless content') {
              assert.equal(error, undefined);
              assert.ok(streamed >= STREAMED, `streamed ${streamed} bytes`);
              assert.ok(
                rssGrowth < STREAMED / 2,
                `rss grew ${rssGrowth} bytes while streaming ${STREAMED} bytes`,
              );
            } else {
              const end = classify(error ?? new Error('no error from an endless metadata source'));
              assert.ok(!end.ok);
              const expected =
                c.kind === 'big metadata' &&
                typeof c.size === 'bigint' &&
                c.size > BigInt(Number.MAX_SAFE_INTEGER)
                  ? 'ERR_BAD_TAR'
                  : 'ERR_LIMIT';
              assert.equal(end.code, expected, end.message);
              if (c.kind === 'big metadata')
                assert.equal(pulled, 0, 'nothing read past an oversized metadata header');
              else
                assert.ok(
                  pulled * c.perChunk <= META_HEADERS_LIMIT + c.perChunk,
                  `${pulled} chunks of ${c.perChunk} headers read before ERR_LIMIT`,
                );
            }
            assert.ok(released, 'readTar released its source');
            const elapsed = performance.now() - started;
            assert.ok(elapsed < CASE_TIME_LIMIT_MS, `case took ${elapsed.toFixed(0)} ms`);
          },
        ),
        numRuns,
      ),
  };

// ---------------------------------------------------------------------------------------------
// Messages from the fuzz child process to the test

export interface FuzzCaseMessage {
  type: 'case';
  index: number;
  description: string;
  /** The input (base64, first 4 KiB) so that a hang can be reported even though it never ends. */
  input: string;
  inputLength: number;
}

export interface FuzzDoneMessage {
  type: 'done';
  failed: boolean;
  report: string;
  numRuns: number;
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  slowestCaseMs: number;
}

export type FuzzMessage = FuzzCaseMessage | FuzzDoneMessage;
