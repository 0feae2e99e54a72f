/**
 * A batch of small regular files for the applier to create (write-behind.ts): each file's path,
 * body and metadata packed into two buffers that move to a writer thread without a copy, and the
 * writing itself, the same code on that thread or, for a batch not worth a thread, on the
 * applier's own. A file is created exclusively and never through a final symlink (its name is
 * known to be free: see Applier), filled, given its metadata through its descriptor and closed;
 * the batch stops at the first failure.
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import type { ApplyWarning } from './types.ts';
import type { ByteString, TarHeader } from '../tar/index.ts';
import { inodeKey } from './fs-path.ts';
import { applyMetadata, type EntryMetadata, type MetadataContext } from './metadata.ts';

const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Numbers per file in `fields`: where its path starts, the path's and the body's lengths, metadata. */
const FIELDS = 8;
const [AT, PATH_LENGTH, BODY_LENGTH, MODE, UID, GID, MTIME, ATIME] = [0, 1, 2, 3, 4, 5, 6, 7];

export interface FileBatch {
  /** Each file's path then its body, one after the other. */
  bytes: ArrayBuffer;
  fields: Float64Array;
  /** Each file's path inside the root, for warnings and errors. */
  names: ByteString[];
}

/** A file a batch could not create: its index and the system error. */
export interface BatchFailure {
  index: number;
  message: string;
  code?: string;
  syscall?: string;
}

export interface BatchResult {
  /** dev:ino of each file created, in order. */
  inodes: string[];
  warnings: ApplyWarning[];
  failure?: BatchFailure;
}

/** Collects files into one batch; `take` hands it over and starts the next. */
export class FileBatchBuilder {
  private bytes = Buffer.allocUnsafeSlow(0);
  private used = 0;
  private fields: Float64Array;
  private names: ByteString[] = [];

  constructor(private readonly maxFiles: number) {
    this.fields = new Float64Array(maxFiles * FIELDS);
  }

  get files(): number {
    return this.names.length;
  }

  get byteLength(): number {
    return this.used;
  }

  add(path: Buffer, name: ByteString, header: TarHeader, body: Buffer): void {
    const need = this.used + path.length + body.length;
    if (need > this.bytes.length) this.grow(need);
    const f = this.names.length * FIELDS;
    this.fields[f + AT] = this.used;
    this.fields[f + PATH_LENGTH] = path.length;
    this.fields[f + BODY_LENGTH] = body.length;
    this.fields[f + MODE] = header.mode;
    this.fields[f + UID] = header.uid;
    this.fields[f + GID] = header.gid;
    this.fields[f + MTIME] = header.mtime + (header.mtimeNsec ?? 0) / 1e9;
    this.fields[f + ATIME] = header.atime ?? 0;
    this.used += path.copy(this.bytes, this.used);
    this.used += body.copy(this.bytes, this.used);
    this.names.push(name);
  }

  take(): FileBatch {
    const batch: FileBatch = {
      bytes: this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.used),
      fields: this.fields.slice(0, this.names.length * FIELDS),
      names: this.names,
    };
    this.used = 0;
    this.names = [];
    return batch;
  }

  private grow(need: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.bytes.length, 1 << 20));
    this.bytes.copy(bigger, 0, 0, this.used);
    this.bytes = bigger;
  }
}

/** Create the batch's files under the applier's rules (`sameOwner`: chown to the header's ids). */
export function writeFileBatch(batch: FileBatch, sameOwner: boolean): BatchResult {
  const bytes = Buffer.from(batch.bytes);
  const { fields, names } = batch;
  const result: BatchResult = { inodes: [], warnings: [] };
  const ctx: MetadataContext = {
    sameOwner,
    warn: (code, segs, message) => result.warnings.push({ code, path: segs.join('/'), message }),
  };
  const noXattrs = new Map<ByteString, Buffer>();
  for (let i = 0; i < names.length; i++) {
    const f = i * FIELDS;
    const at = fields[f + AT]!;
    const pathEnd = at + fields[f + PATH_LENGTH]!;
    const path = bytes.subarray(at, pathEnd);
    const body = bytes.subarray(pathEnd, pathEnd + fields[f + BODY_LENGTH]!);
    const metadata: EntryMetadata = {
      mode: fields[f + MODE]!,
      uid: fields[f + UID]!,
      gid: fields[f + GID]!,
      mtime: fields[f + MTIME]!,
      mtimeNsec: 0,
      atime: fields[f + ATIME]!,
      xattrs: noXattrs,
    };
    try {
      writeOne(path, body, metadata, names[i]!, ctx, result);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      result.failure = { index: i, message: e.message, code: e.code, syscall: e.syscall };
      break;
    }
  }
  return result;
}

function writeOne(
  path: Buffer,
  body: Buffer,
  metadata: EntryMetadata,
  name: ByteString,
  ctx: MetadataContext,
  result: BatchResult,
): void {
  const fd = openSync(path, CREATE_FLAGS, metadata.mode & 0o777);
  try {
    const created = fstatSync(fd);
    result.inodes.push(inodeKey(created));
    for (let off = 0; off < body.length;) off += writeSync(fd, body, off);
    void applyMetadata(ctx, [name], metadata, 'file', { path, fd, created }); // no xattrs: done now
  } finally {
    closeSync(fd);
  }
}
