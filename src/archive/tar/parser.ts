/**
 * The streaming tar parser: a push-driven state machine that turns arbitrary chunks of a tar
 * stream into entry, data and end events, with Go's archive/tar decoding rules (spec §1.2).
 * It never buffers content (data events are views into the caller's chunks); only metadata
 * (PAX records, GNU long names) is buffered, and that is capped.
 */
import { ShaleError } from '../../core/errors.ts';
import {
  BLOCK_SIZE,
  decodeBlock,
  isZeroBlock,
  type BlockFields,
  type TarDialect,
} from './block.ts';
import { cString, type ByteString } from './bytes.ts';
import { isHeaderOnlyType, TypeFlag, type TarEntryLocation, type TarHeader } from './header.ts';
import {
  hasSparseRecords,
  parsePaxInteger,
  parsePaxRecords,
  parsePaxTime,
  XATTR_PREFIX,
} from './pax.ts';

export interface TarParserOptions {
  /** Go 1.4 rules (Docker 1.6–1.8; the default) or Go 1.11+ rules. See block.ts. */
  dialect?: TarDialect;
  /** Largest PAX or GNU long-name body accepted (default 1 MiB, as Go). */
  maxMetaSize?: number;
  /** Most PAX/GNU metadata headers accepted before one entry (default 64). */
  maxMetaHeaders?: number;
  /** Copy each entry's header blocks into `location.rawHeader` (default true; else it is empty). */
  rawHeaders?: boolean;
}

export interface TarParserHandler {
  entry(header: TarHeader, location: TarEntryLocation): void;
  /** A piece of the current entry's content: a view into the chunk given to write(). */
  data(chunk: Buffer): void;
  entryEnd(): void;
  /** How the archive ended: two zero blocks, or the input stopping at a header boundary. */
  end(info: { offset: number; marker: 'zero-blocks' | 'eof' }): void;
}

type State = 'header' | 'meta' | 'data' | 'padding' | 'second-zero' | 'done';

const META_TYPES: ReadonlySet<string> = new Set([
  TypeFlag.paxHeader,
  TypeFlag.gnuLongName,
  TypeFlag.gnuLongLink,
]);

const EMPTY = Buffer.alloc(0);

const padding = (size: number) => (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;

export class TarParser {
  private readonly dialect: TarDialect;
  private readonly maxMetaSize: number;
  private readonly maxMetaHeaders: number;
  private readonly keepRaw: boolean;
  private state: State = 'header';
  private offset = 0;
  /** Partial header block when a chunk boundary splits one. */
  private readonly block = Buffer.alloc(BLOCK_SIZE);
  private blockFill = 0;
  /** Bytes still expected in the current data/meta/padding section. */
  private remaining = 0;
  private pendingPad = 0;
  private failed: ShaleError | undefined;

  // Metadata gathered for the next entry.
  private metaFields: BlockFields | undefined;
  private metaBody: Buffer[] = [];
  private metaBodySize = 0;
  private raw: Buffer[] = [];
  private entryStart = 0;
  private metaCount = 0;
  private pax: Map<ByteString, Buffer> | undefined;
  private longName: ByteString | undefined;
  private longLink: ByteString | undefined;

  constructor(
    private readonly handler: TarParserHandler,
    options: TarParserOptions = {},
  ) {
    this.dialect = options.dialect ?? 'go1.4';
    this.maxMetaSize = options.maxMetaSize ?? 1 << 20;
    this.maxMetaHeaders = options.maxMetaHeaders ?? 64;
    this.keepRaw = options.rawHeaders ?? true;
  }

  /**
   * Feed the next chunk. Throws ShaleError (ERR_BAD_TAR, ERR_LIMIT, ERR_UNSUPPORTED). The parser
   * keeps no reference to `chunk` after returning (data events are views the handler must use
   * at once), so callers may reuse the buffer.
   */
  write(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    try {
      this.consume(chunk);
    } catch (err) {
      this.failed =
        err instanceof ShaleError
          ? err
          : new ShaleError('ERR_BAD_TAR', String(err), { cause: err });
      throw this.failed;
    }
  }

  /** The input has ended. Throws ERR_BAD_TAR when it stopped inside an entry or header. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.state === 'done') return;
    // As Go: input that stops at a header boundary, inside the padding after an entry, or after a
    // metadata header whose entry never came, is a normal end; anywhere else it is truncated.
    const atBoundary =
      (this.blockFill === 0 && (this.state === 'header' || this.state === 'second-zero')) ||
      this.state === 'padding';
    if (!atBoundary) {
      this.failed = new ShaleError(
        'ERR_BAD_TAR',
        `unexpected end of tar archive at byte ${this.offset} (truncated?)`,
      );
      throw this.failed;
    }
    this.state = 'done';
    this.handler.end({ offset: this.offset, marker: 'eof' });
  }

  private consume(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'header':
        case 'second-zero': {
          let block: Buffer;
          if (this.blockFill === 0 && chunk.length - pos >= BLOCK_SIZE) {
            block = chunk.subarray(pos, pos + BLOCK_SIZE);
            pos += BLOCK_SIZE;
          } else {
            const n = Math.min(BLOCK_SIZE - this.blockFill, chunk.length - pos);
            chunk.copy(this.block, this.blockFill, pos, pos + n);
            this.blockFill += n;
            pos += n;
            if (this.blockFill < BLOCK_SIZE) return;
            this.blockFill = 0;
            block = this.block;
          }
          this.offset += BLOCK_SIZE;
          this.onBlock(block);
          break;
        }
        case 'meta': {
          const n = Math.min(this.remaining, chunk.length - pos);
          // Copied: the caller may reuse its chunk buffer once write() returns.
          const piece = Buffer.from(chunk.subarray(pos, pos + n));
          this.metaBody.push(piece);
          this.metaBodySize += n;
          if (this.keepRaw) this.raw.push(piece);
          this.remaining -= n;
          this.offset += n;
          pos += n;
          if (this.remaining === 0) this.finishMeta();
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, chunk.length - pos);
          if (n > 0) this.handler.data(chunk.subarray(pos, pos + n));
          this.remaining -= n;
          this.offset += n;
          pos += n;
          if (this.remaining === 0) this.finishData();
          break;
        }
        case 'padding': {
          const n = Math.min(this.remaining, chunk.length - pos);
          if (this.metaCount > 0 && this.keepRaw)
            this.raw.push(Buffer.from(chunk.subarray(pos, pos + n)));
          this.remaining -= n;
          this.offset += n;
          pos += n;
          if (this.remaining === 0) this.state = 'header';
          break;
        }
        case 'done':
          this.offset += chunk.length - pos;
          return;
      }
    }
    // A section of length zero completes without further input.
    if (this.state === 'data' && this.remaining === 0) this.finishData();
  }

  private onBlock(block: Buffer): void {
    if (this.state === 'second-zero') {
      if (!isZeroBlock(block)) {
        throw new ShaleError(
          'ERR_BAD_TAR',
          `invalid tar archive: a zero block followed by data at byte ${this.offset - BLOCK_SIZE}`,
        );
      }
      this.state = 'done';
      this.handler.end({ offset: this.offset, marker: 'zero-blocks' });
      return;
    }
    if (isZeroBlock(block)) {
      if (this.metaCount > 0)
        throw new ShaleError(
          'ERR_BAD_TAR',
          'invalid tar archive: metadata header without an entry',
        );
      this.state = 'second-zero';
      return;
    }
    if (this.metaCount === 0) {
      this.entryStart = this.offset - BLOCK_SIZE;
      this.raw = [];
    }
    if (this.keepRaw) this.raw.push(Buffer.from(block));
    const fields = decodeBlock(block, this.dialect);
    if (
      META_TYPES.has(fields.typeflag) ||
      (fields.typeflag === TypeFlag.paxGlobal && this.dialect === 'modern')
    ) {
      this.startMeta(fields);
    } else {
      this.emitEntry(fields);
    }
  }

  private startMeta(fields: BlockFields): void {
    if (++this.metaCount > this.maxMetaHeaders) {
      throw new ShaleError(
        'ERR_LIMIT',
        `tar entry has more than ${this.maxMetaHeaders} PAX/GNU metadata headers`,
      );
    }
    if (fields.size > this.maxMetaSize) {
      throw new ShaleError(
        'ERR_LIMIT',
        `tar metadata header of ${fields.size} bytes exceeds the ${this.maxMetaSize}-byte limit`,
      );
    }
    this.metaFields = fields;
    this.metaBody = [];
    this.metaBodySize = 0;
    this.remaining = fields.size;
    this.pendingPad = padding(fields.size);
    this.state = 'meta';
    if (fields.size === 0) this.finishMeta();
  }

  private finishMeta(): void {
    const fields = this.metaFields!;
    const body = Buffer.concat(this.metaBody, this.metaBodySize);
    this.metaBody = [];
    switch (fields.typeflag) {
      case TypeFlag.paxHeader:
        this.pax = parsePaxRecords(body);
        break;
      case TypeFlag.gnuLongName:
        this.longName = cString(body);
        break;
      case TypeFlag.gnuLongLink:
        this.longLink = cString(body);
        break;
      default: {
        // A PAX global header under the modern dialect: reported as an entry without content.
        const records = parsePaxRecords(body);
        this.remaining = this.pendingPad;
        this.state = this.remaining > 0 ? 'padding' : 'header';
        this.metaCount = 0;
        this.emitGlobal(fields, records);
        return;
      }
    }
    this.remaining = this.pendingPad;
    this.state = this.remaining > 0 ? 'padding' : 'header';
  }

  /** A global header is reported with its records, its name and its xattrs only (as Go does). */
  private emitGlobal(fields: BlockFields, records: Map<ByteString, Buffer>): void {
    const applied = copyHeader(fields);
    applyPax(applied, records);
    const header = copyHeader({
      ...fields,
      name: applied.name,
      mode: 0,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
      uname: '',
      gname: '',
      devmajor: 0,
      devminor: 0,
    });
    header.format = 'pax';
    header.xattrs = applied.xattrs;
    header.paxRecords = records;
    const location = { ...this.location(0), paddingSize: padding(fields.size) };
    this.handler.entry(header, location);
    this.handler.entryEnd();
  }

  private emitEntry(fields: BlockFields): void {
    if (fields.typeflag === TypeFlag.gnuSparse) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `GNU sparse tar entry ${JSON.stringify(fields.name)} is not supported`,
      );
    }
    const header = fields;
    if (this.pax) {
      if (hasSparseRecords(this.pax)) {
        throw new ShaleError(
          'ERR_UNSUPPORTED',
          `PAX sparse tar entry ${JSON.stringify(header.name)} is not supported`,
        );
      }
      applyPax(header, this.pax);
      if (header.format === 'ustar') header.format = 'pax';
    }
    if (this.longName !== undefined && this.longName !== '') header.name = this.longName;
    if (this.longLink !== undefined && this.longLink !== '') header.linkname = this.longLink;
    if (this.dialect === 'modern' && header.typeflag === TypeFlag.regularOld) {
      header.typeflag = header.name.endsWith('/') ? TypeFlag.directory : TypeFlag.regular;
    }
    if (header.size < 0)
      throw new ShaleError(
        'ERR_BAD_TAR',
        `tar entry ${JSON.stringify(header.name)} has a negative size`,
      );
    const dataSize =
      this.dialect === 'modern' && isHeaderOnlyType(header.typeflag) ? 0 : header.size;
    const location = this.location(dataSize);
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    this.metaCount = 0;
    this.remaining = dataSize;
    this.pendingPad = location.paddingSize;
    this.state = 'data';
    this.handler.entry(header, location);
  }

  private location(dataSize: number): TarEntryLocation {
    const rawHeader = !this.keepRaw
      ? EMPTY
      : this.raw.length === 1
        ? this.raw[0]!
        : Buffer.concat(this.raw);
    this.raw = [];
    return {
      headerOffset: this.entryStart,
      rawHeader,
      dataOffset: this.offset,
      paddingSize: padding(dataSize),
    };
  }

  private finishData(): void {
    this.handler.entryEnd();
    this.remaining = this.pendingPad;
    this.state = this.remaining > 0 ? 'padding' : 'header';
  }
}

/** A header with the same fields and empty xattrs and PAX records. */
function copyHeader(fields: BlockFields): TarHeader {
  return { ...fields, xattrs: new Map(), paxRecords: new Map() };
}

/** Apply PAX records to a header (an empty value keeps the header block's value, as Go does). */
export function applyPax(header: TarHeader, records: Map<ByteString, Buffer>): void {
  header.paxRecords = records;
  for (const [key, value] of records) {
    if (key.startsWith(XATTR_PREFIX)) {
      header.xattrs.set(key.slice(XATTR_PREFIX.length), value);
      continue;
    }
    if (value.length === 0) continue;
    switch (key) {
      case 'path':
        header.name = value.toString('latin1');
        break;
      case 'linkpath':
        header.linkname = value.toString('latin1');
        break;
      case 'uname':
        header.uname = value.toString('latin1');
        break;
      case 'gname':
        header.gname = value.toString('latin1');
        break;
      case 'uid':
        header.uid = parsePaxInteger(value, key);
        break;
      case 'gid':
        header.gid = parsePaxInteger(value, key);
        break;
      case 'size':
        header.size = parsePaxInteger(value, key);
        break;
      case 'mtime': {
        const t = parsePaxTime(value, key);
        header.mtime = t.seconds;
        header.mtimeNsec = t.nsec;
        break;
      }
      case 'atime':
        header.atime = parsePaxTime(value, key).seconds;
        break;
      case 'ctime':
        header.ctime = parsePaxTime(value, key).seconds;
        break;
    }
  }
}
