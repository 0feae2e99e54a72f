/**
 * The per-entry work of applyLayer: whiteouts, opaque markers and each entry type, with every path
 * resolved inside the root and no pre-existing non-directory inode modified (copy-up instead).
 */
import { constants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { ShaleError } from '../../core/errors.ts';
import {
  TypeFlag,
  byteStringToBuffer,
  type ByteString,
  type TarEntry,
  type TarHeader,
} from '../tar/index.ts';
import { cleanSegments, display } from './clean.ts';
import { inodeKey, joinPath, lstatOrNull } from './fs-path.ts';
import { applyMetadata, entryTimes, restampDirectories, type DirStamp } from './metadata.ts';
import { copyUp, makeNode, removeAll, type NodeKind } from './nodes.ts';
import { PlnkStash } from './plnk.ts';
import { resolveDirInScope } from './resolve.ts';
import type { ApplyOptions, ApplyWarning } from './types.ts';
import { AUFS_PLNK, classifyWhiteout } from './whiteout.ts';

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
  readonly sameOwner: boolean;
  readonly isRoot = process.getuid?.() === 0;
  /** AUFS `.wh..wh.plnk/<name>` sources, saved outside the root. */
  readonly plnk = new PlnkStash();

  constructor(
    root: string,
    readonly options: ApplyOptions,
  ) {
    this.root = Buffer.from(root);
    this.sameOwner = options.sameOwner ?? this.isRoot;
  }

  warn(code: ApplyWarning['code'], segs: readonly ByteString[], message: string): void {
    this.options.onWarning?.({ code, path: segs.join('/'), message });
  }

  async apply(entry: TarEntry): Promise<void> {
    const { header } = entry;
    const segs = cleanSegments(header.name);
    if (
      segs.length === 2 &&
      segs[0] === AUFS_PLNK &&
      (header.typeflag === TypeFlag.regular || header.typeflag === TypeFlag.regularOld)
    ) {
      await this.plnk.stash(segs[1]!, entry);
      return;
    }
    const wh = classifyWhiteout(segs);
    if (wh.kind === 'metadata') return;
    if (wh.kind === 'remove') {
      const dir = await resolveDirInScope(this.root, wh.dir, false);
      if (dir === null) return; // nothing there to delete
      await removeAll(joinPath(this.root, [...dir, wh.name]));
      return;
    }
    if (wh.kind === 'opaque') {
      const dir = await resolveDirInScope(this.root, wh.dir, false);
      if (dir === null) return;
      const dirPath = joinPath(this.root, dir);
      const prefix = dir.length === 0 ? '' : `${dir.join('/')}/`;
      for (const child of await fs.readdir(dirPath, { encoding: 'buffer' })) {
        const key = prefix + child.toString('latin1');
        if (!this.unpacked.has(key))
          await removeAll(joinPath(this.root, [...dir, child.toString('latin1')]));
      }
      return;
    }

    if (segs.length === 0) {
      if (header.typeflag !== TypeFlag.directory) {
        throw new ShaleError('ERR_BAD_TAR', `a ${typeName(header)} entry names the layer root`);
      }
      await this.applyMeta([], header, 'dir');
      this.dirStamps.push({ segs: [], ...entryTimes(header) });
      return;
    }

    if (!SUPPORTED_TYPES.has(header.typeflag)) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `entry ${display(header.name)} has unsupported type ${JSON.stringify(header.typeflag)}`,
      );
    }
    const parent = await resolveDirInScope(this.root, segs.slice(0, -1), true, (real) => {
      this.unpacked.add(real.join('/'));
    });
    const name = segs[segs.length - 1]!;
    const real = [...parent!, name];
    const full = joinPath(this.root, real);
    const existing = await lstatOrNull(full);
    const isDir = header.typeflag === TypeFlag.directory;
    if (existing !== null && !(existing.isDirectory() && isDir)) await removeAll(full);
    this.unpacked.add(real.join('/'));

    switch (header.typeflag) {
      case TypeFlag.directory:
        if (existing === null || !existing.isDirectory()) {
          await fs.mkdir(full, { mode: 0o700 });
        }
        await this.applyMeta(real, header, 'dir');
        this.dirStamps.push({ segs: real, ...entryTimes(header) });
        return;
      case TypeFlag.regular:
      case TypeFlag.regularOld:
      case TypeFlag.contiguous:
        await this.writeFile(real, header, entry.body);
        return;
      case TypeFlag.symlink:
        if (header.linkname === '') {
          throw new ShaleError('ERR_BAD_TAR', `symlink ${display(header.name)} has no target`);
        }
        await fs.symlink(byteStringToBuffer(header.linkname), full);
        this.ours.add(inodeKey(await fs.lstat(full)));
        await this.applyMeta(real, header, 'symlink');
        return;
      case TypeFlag.hardLink:
        await this.hardLink(real, header);
        return;
      case TypeFlag.fifo:
      case TypeFlag.charDevice:
      case TypeFlag.blockDevice: {
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
          joinPath(this.root, parent!),
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
        this.ours.add(inodeKey(await fs.lstat(full)));
        await this.applyMeta(real, header, 'file');
        return;
      }
      default:
        throw new ShaleError(
          'ERR_UNSUPPORTED',
          `entry ${display(header.name)} has unsupported type ${JSON.stringify(header.typeflag)}`,
        );
    }
  }

  /** Create a regular file exclusively (never following or reusing what was there) and fill it. */
  private async writeFile(
    real: ByteString[],
    header: TarHeader,
    body: AsyncIterable<Buffer>,
  ): Promise<void> {
    const handle = await fs.open(joinPath(this.root, real), CREATE_FLAGS, 0o600);
    try {
      this.ours.add(inodeKey(await handle.stat()));
      let written = 0;
      for await (const chunk of body) {
        this.options.signal?.throwIfAborted();
        for (let off = 0; off < chunk.length;) {
          off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
        }
        written += chunk.length;
      }
      if (written !== header.size) {
        throw new ShaleError('ERR_BAD_TAR', `entry ${display(header.name)} body is short`);
      }
    } finally {
      await handle.close();
    }
    await this.applyMeta(real, header, 'file');
  }

  async cleanup(): Promise<void> {
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
    const targetDir = await resolveDirInScope(this.root, linkSegs.slice(0, -1), false);
    const targetName = linkSegs[linkSegs.length - 1]!;
    const targetPath = targetDir === null ? null : joinPath(this.root, [...targetDir, targetName]);
    let st = targetPath === null ? null : await lstatOrNull(targetPath);
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
    const full = joinPath(this.root, real);
    await fs.link(targetPath, full);
    await this.applyMeta(real, header, st.isSymbolicLink() ? 'symlink' : 'file');
  }

  /** Header metadata, only ever on directories or inodes this apply created. */
  private async applyMeta(
    real: ByteString[],
    header: TarHeader,
    kind: 'dir' | 'file' | 'symlink',
  ): Promise<void> {
    const st = await fs.lstat(joinPath(this.root, real));
    if (!st.isDirectory() && !this.ours.has(inodeKey(st))) {
      throw new Error(`internal: refusing to modify a pre-existing inode at ${display(real)}`);
    }
    await applyMetadata(this, real, header, kind);
  }

  async finish(): Promise<void> {
    await restampDirectories(this.root, this.dirStamps);
  }
}

function typeName(header: TarHeader): string {
  return `type ${JSON.stringify(header.typeflag)}`;
}
