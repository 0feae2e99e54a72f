/**
 * The per-entry work of applyLayer: whiteouts, opaque markers and each entry type, with every path
 * resolved inside the root and no pre-existing non-directory inode modified (copy-up instead).
 *
 * Most entries are applied synchronously: `apply` returns a promise only for work that has to wait
 * (a body not yet read in full, xattrs, AUFS sources, device nodes, copy-ups), and undefined when
 * the entry is done, so that a small file costs its system calls and no promise. A small file
 * whose name is known to be free (new in this layer, in a directory this apply made or where
 * nothing has that name) is handed to write-behind.ts, created on a writer thread while the next
 * entries are read; the applier settles those writes before anything that could see or disturb
 * them (see WriteBehind).
 */
import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import {
  TypeFlag,
  byteStringToBuffer,
  type ByteString,
  type TarEntry,
  type TarHeader,
} from '../tar/index.ts';
import { cleanSegments, display } from './clean.ts';
import { errno, inodeKey, joinPath, lstatOrNull } from './fs-path.ts';
import {
  applyMetadata,
  entryTimes,
  restampDirectories,
  type DirStamp,
  type MetadataTarget,
} from './metadata.ts';
import type { BatchResult } from './file-batch.ts';
import { copyUp, makeNode, removeAll, type NodeKind } from './nodes.ts';
import { PlnkStash } from './plnk.ts';
import { ScopeResolver } from './resolve.ts';
import type { ApplyOptions, ApplyWarning } from './types.ts';
import { AUFS_PLNK, classifyWhiteout } from './whiteout.ts';
import { DEFAULT_WRITER_THREADS, FILES_PER_BATCH, WriteBehind } from './write-behind.ts';

const SUPPORTED_TYPES = new Set<string>([
  TypeFlag.regular,
  TypeFlag.regularOld,
  TypeFlag.contiguous,
  TypeFlag.directory,
  TypeFlag.symlink,
  TypeFlag.hardLink,
  TypeFlag.fifo,
  TypeFlag.charDevice,
  TypeFlag.blockDevice,
]);

const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export class Applier {
  readonly root: Buffer;
  /** dev:ino of every inode this apply created: only these may be modified in place. */
  readonly ours = new Set<string>();
  /** Real paths (joined segments) of entries applied so far in this layer (for opaque markers). */
  readonly unpacked = new Set<ByteString>();
  readonly dirStamps: DirStamp[] = [];
  /** How many of dirStamps were taken before the last removal of a directory or symlink. */
  private unsureStamps = 0;
  readonly sameOwner: boolean;
  readonly isRoot = process.getuid?.() === 0;
  /** AUFS `.wh..wh.plnk/<name>` sources, saved outside the root. */
  readonly plnk = new PlnkStash();
  /** Directory paths resolved in this layer; forgotten whenever a directory or symlink goes. */
  private readonly resolver: ScopeResolver;
  /**
   * Real paths of the directories this apply made (and the root, if it was empty): every name in
   * one that exists was made by this apply, so one not in `unpacked` is free.
   */
  private readonly freshDirs = new Set<ByteString>();
  /** Small files being created on writer threads. */
  private readonly writes: WriteBehind;

  constructor(
    root: string,
    readonly options: ApplyOptions,
  ) {
    this.root = Buffer.from(root);
    this.resolver = new ScopeResolver(this.root, (real) => {
      if (this.writes.has(real.join('/'))) this.writes.settle();
    });
    this.sameOwner = options.sameOwner ?? this.isRoot;
    this.writes = new WriteBehind({
      threads: options.writerThreads ?? DEFAULT_WRITER_THREADS,
      filesPerBatch: options.filesPerBatch ?? FILES_PER_BATCH,
      sameOwner: this.sameOwner,
      onWritten: (result) => this.written(result),
    });
    if (readdirSync(this.root).length === 0) this.freshDirs.add('');
  }

  warn(code: ApplyWarning['code'], segs: readonly ByteString[], message: string): void {
    this.options.onWarning?.({ code, path: segs.join('/'), message });
  }

  /** Apply one entry; a promise when the work had to wait, undefined when it is done. */
  apply(entry: TarEntry): Promise<void> | undefined {
    const { header } = entry;
    const segs = cleanSegments(header.name);
    if (
      segs.length === 2 &&
      segs[0] === AUFS_PLNK &&
      (header.typeflag === TypeFlag.regular || header.typeflag === TypeFlag.regularOld)
    ) {
      return this.plnk.stash(segs[1]!, entry);
    }
    const wh = classifyWhiteout(segs);
    if (wh.kind === 'metadata') return undefined;
    if (wh.kind === 'remove') {
      const dir = this.resolver.resolveDir(wh.dir, false);
      if (dir !== null) this.remove([...dir, wh.name]); // else nothing there to delete
      return undefined;
    }
    if (wh.kind === 'opaque') {
      const dir = this.resolver.resolveDir(wh.dir, false);
      if (dir === null) return undefined;
      const prefix = dir.length === 0 ? '' : `${dir.join('/')}/`;
      for (const child of readdirSync(joinPath(this.root, dir), { encoding: 'buffer' })) {
        const name = child.toString('latin1');
        if (!this.unpacked.has(prefix + name)) this.remove([...dir, name]);
      }
      return undefined;
    }

    if (segs.length === 0) {
      if (header.typeflag !== TypeFlag.directory) {
        throw new ShaleError('ERR_BAD_TAR', `a ${typeName(header)} entry names the layer root`);
      }
      this.dirStamps.push({ segs: [], ...entryTimes(header) });
      this.writes.settle();
      return this.applyMeta([], header, 'dir');
    }

    if (!SUPPORTED_TYPES.has(header.typeflag)) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `entry ${display(header.name)} has unsupported type ${JSON.stringify(header.typeflag)}`,
      );
    }
    const parent = this.resolveParent(segs);
    const name = segs[segs.length - 1]!;
    const real = [...parent, name];
    const full = joinPath(this.root, real);
    const key = real.join('/');
    const seen = this.unpacked.has(key);
    this.unpacked.add(key);
    if (this.writes.has(key)) this.writes.settle();

    switch (header.typeflag) {
      case TypeFlag.directory:
        // A directory kept may be getting files: they are written before its mode can change.
        if (this.replace(real, true, () => mkdirSync(full, { mode: 0o700 }))) this.writes.settle();
        else this.freshDirs.add(key);
        this.dirStamps.push({ segs: real, ...entryTimes(header) });
        return this.applyMeta(real, header, 'dir');
      case TypeFlag.regular:
      case TypeFlag.regularOld:
      case TypeFlag.contiguous: {
        const body = entry.bufferedBody();
        const parentKey = key.slice(0, Math.max(0, key.length - name.length - 1));
        const free = !seen && (this.freshDirs.has(parentKey) || lstatOrNull(full) === null);
        if (body !== undefined && free && header.xattrs.size === 0) {
          checkSize(header, body.length);
          this.writes.add(full, key, header, body);
          return undefined;
        }
        return this.writeFile(real, header, body ?? entry.body);
      }
      case TypeFlag.symlink:
        if (header.linkname === '') {
          throw new ShaleError('ERR_BAD_TAR', `symlink ${display(header.name)} has no target`);
        }
        this.replace(real, false, () => symlinkSync(byteStringToBuffer(header.linkname), full));
        return this.applyMeta(real, header, 'symlink', this.created(full));
      case TypeFlag.hardLink:
        this.writes.settle(); // its target may be a file not written yet
        if (lstatOrNull(full) !== null) this.remove(real);
        return this.hardLink(real, header);
      case TypeFlag.fifo:
      case TypeFlag.charDevice:
      case TypeFlag.blockDevice:
        if (lstatOrNull(full) !== null) this.remove(real);
        return this.applyNode(parent, name, header);
      default:
        throw new ShaleError(
          'ERR_UNSUPPORTED',
          `entry ${display(header.name)} has unsupported type ${JSON.stringify(header.typeflag)}`,
        );
    }
  }

  /** The real parent directory of the entry at `segs`, created (0755) where missing. */
  private resolveParent(segs: readonly ByteString[]): readonly ByteString[] {
    return this.resolver.resolveDir(segs.slice(0, -1), true, (real) => {
      const key = real.join('/');
      this.unpacked.add(key);
      this.freshDirs.add(key);
    })!;
  }

  /**
   * Run `make`, which creates the entry at `real` exclusively. When something is already there it is
   * removed and `make` runs again, unless it is a directory and `keepDir` is set (a directory entry
   * over a directory only updates its metadata): then the result is true. Creating first and
   * looking only on EEXIST saves an lstat per entry, most of which land on empty paths.
   */
  private replace(real: readonly ByteString[], keepDir: boolean, make: () => void): boolean {
    try {
      make();
      return false;
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err;
    }
    if (keepDir && lstatSync(joinPath(this.root, real)).isDirectory()) return true;
    this.remove(real);
    make();
    return false;
  }

  private remove(real: readonly ByteString[]): void {
    this.writes.settle(); // what goes may hold, or lead to, a file not written yet
    const removed = removeAll(joinPath(this.root, real));
    // Only directories and symlinks can lie on a resolved path.
    if (removed?.isDirectory() || removed?.isSymbolicLink()) {
      this.resolver.forget();
      this.unsureStamps = this.dirStamps.length;
    }
  }

  /** A FIFO or device node at `parent/name` (nothing there any more). */
  private async applyNode(
    parent: readonly ByteString[],
    name: ByteString,
    header: TarHeader,
  ): Promise<void> {
    const real = [...parent, name];
    const kind: NodeKind =
      header.typeflag === TypeFlag.fifo
        ? 'fifo'
        : header.typeflag === TypeFlag.charDevice
          ? 'char'
          : 'block';
    if (kind !== 'fifo' && !this.isRoot) {
      this.warn('WARN_DEVICE_SKIPPED', real, `${kind} device skipped: not running as root`);
      return;
    }
    const made = await makeNode(
      joinPath(this.root, parent),
      byteStringToBuffer(name),
      kind,
      0o600,
      header.devmajor,
      header.devminor,
    );
    if (!made.ok) {
      if (kind === 'fifo') throw new Error(`mkfifo failed: ${made.message}`);
      this.warn('WARN_DEVICE_SKIPPED', real, `${kind} device skipped: ${made.message}`);
      return;
    }
    await this.applyMeta(real, header, 'file', this.created(joinPath(this.root, real)));
  }

  /** Stats of an inode this apply just created, which marks it as ours. */
  private created(full: Buffer): Stats {
    const st = lstatSync(full);
    this.ours.add(inodeKey(st));
    return st;
  }

  /**
   * Create a regular file exclusively (never following or reusing what was there), fill it, and
   * set its metadata through the descriptor. A body given whole is written synchronously.
   */
  private writeFile(
    real: ByteString[],
    header: TarHeader,
    body: Buffer | AsyncIterable<Buffer>,
  ): Promise<void> | undefined {
    const full = joinPath(this.root, real);
    let fd = -1;
    this.replace(real, false, () => (fd = openSync(full, CREATE_FLAGS, header.mode & 0o777)));
    let pending: Promise<void> | undefined;
    try {
      const created = fstatSync(fd);
      this.ours.add(inodeKey(created));
      const target = { path: full, fd, created };
      if (Buffer.isBuffer(body)) {
        writeAll(fd, body);
        checkSize(header, body.length);
        pending = applyMetadata(this, real, header, 'file', target);
      } else {
        pending = this.streamFile(real, header, target, body);
      }
    } finally {
      if (pending === undefined) closeSync(fd);
    }
    return pending?.finally(() => closeSync(fd));
  }

  /** The rest of writeFile for a body that comes in pieces (the caller closes the descriptor). */
  private async streamFile(
    real: ByteString[],
    header: TarHeader,
    target: MetadataTarget & { fd: number },
    body: AsyncIterable<Buffer>,
  ): Promise<void> {
    let written = 0;
    for await (const chunk of body) {
      this.options.signal?.throwIfAborted();
      writeAll(target.fd, chunk);
      written += chunk.length;
    }
    checkSize(header, written);
    await applyMetadata(this, real, header, 'file', target);
  }

  /** A batch of files written behind: their inodes are ours. */
  private written(result: BatchResult): void {
    for (const inode of result.inodes) this.ours.add(inode);
    for (const warning of result.warnings) this.options.onWarning?.(warning);
  }

  /** After the last entry or a failure: nothing is left being written, no AUFS source kept. */
  async cleanup(): Promise<void> {
    this.writes.close();
    await this.plnk.cleanup();
  }

  private async hardLink(real: ByteString[], header: TarHeader): Promise<void> {
    const linkSegs = cleanSegments(header.linkname, 'hard-link target');
    if (linkSegs.length === 0) {
      throw new ShaleError('ERR_BAD_TAR', `hard link ${display(header.name)} points at the root`);
    }
    if (linkSegs[0] === AUFS_PLNK) {
      // AUFS hard link: materialise a private regular file from the stashed source (as Docker).
      const saved = linkSegs.length === 2 ? this.plnk.get(linkSegs[1]!) : undefined;
      if (saved === undefined) {
        throw new ShaleError(
          'ERR_BAD_TAR',
          `hard link ${display(header.name)} points at ${display(header.linkname)}, which this layer did not provide`,
        );
      }
      await this.writeFile(real, saved.header, createReadStream(saved.file));
      return;
    }
    const targetDir = this.resolver.resolveDir(linkSegs.slice(0, -1), false);
    const targetName = linkSegs[linkSegs.length - 1]!;
    const targetPath = targetDir === null ? null : joinPath(this.root, [...targetDir, targetName]);
    let st = targetPath === null ? null : lstatOrNull(targetPath);
    if (st === null || targetPath === null || targetDir === null) {
      throw new ShaleError(
        'ERR_BAD_TAR',
        `hard link ${display(header.name)} points at ${display(header.linkname)}, which does not exist in the layer root`,
      );
    }
    if (st.isDirectory()) {
      throw new ShaleError(
        'ERR_BAD_TAR',
        `hard link ${display(header.name)} points at directory ${display(header.linkname)}`,
      );
    }
    if (!this.ours.has(inodeKey(st))) {
      // A pre-existing inode may be shared with other snapshots: link to a private copy instead.
      st = await copyUp(joinPath(this.root, targetDir), byteStringToBuffer(targetName), st);
      this.ours.add(inodeKey(st));
    }
    linkSync(targetPath, joinPath(this.root, real));
    await this.applyMeta(real, header, st.isSymbolicLink() ? 'symlink' : 'file');
  }

  /**
   * Header metadata, only ever on directories or inodes this apply created (`created`: the inode
   * was made just now, with these stats).
   */
  private applyMeta(
    real: ByteString[],
    header: TarHeader,
    kind: 'dir' | 'file' | 'symlink',
    created?: Stats,
  ): Promise<void> | undefined {
    const path = joinPath(this.root, real);
    if (created === undefined) {
      const st = lstatSync(path);
      if (!st.isDirectory() && !this.ours.has(inodeKey(st))) {
        throw new Error(`internal: refusing to modify a pre-existing inode at ${display(real)}`);
      }
    }
    return applyMetadata(this, real, header, kind, { path, ...(created && { created }) });
  }

  finish(): void {
    this.writes.settle();
    restampDirectories(this.root, this.dirStamps, this.unsureStamps);
  }
}

function writeAll(fd: number, chunk: Buffer): void {
  for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
}

function checkSize(header: TarHeader, written: number): void {
  if (written !== header.size) {
    throw new ShaleError('ERR_BAD_TAR', `entry ${display(header.name)} body is short`);
  }
}

function typeName(header: TarHeader): string {
  return `type ${JSON.stringify(header.typeflag)}`;
}
