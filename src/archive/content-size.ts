/**
 * A layer's size as Docker counts it: overlay2's ApplyDiff untars the layer into an empty diff
 * directory and returns `directory.Size` of it — the lstat sizes of everything but directories,
 * each inode once. So: the sizes of the regular files and the target lengths of the symlinks left
 * in the layer's final tree, hard links counted once; directories, devices, FIFOs and whiteouts
 * (0/0 character devices under overlay2) count 0. Later entries replace earlier ones of the same
 * name (a non-directory replacing a directory drops what was under it), as Docker's untar does.
 *
 * Computed from tar headers alone: `ContentSizeCounter` takes each entry's header,
 * `ContentSizeTap` takes raw tar bytes (a tap beside a DiffID hash), `layerContentSize` reads a
 * whole stream. Memory holds one small node per path of the layer, never content.
 */
import { cleanSegments } from './apply/clean.ts';
import { classifyWhiteout } from './apply/whiteout.ts';
import { parseTar, TarParser, TypeFlag, type ByteString, type TarHeader } from './tar/index.ts';

/** One inode of the layer's tree; hard links share it. */
interface Inode {
  size: number;
}

type Node = { dir: Map<ByteString, Node> } | { inode: Inode };

const REGULAR_TYPES: ReadonlySet<string> = new Set([
  TypeFlag.regular,
  TypeFlag.regularOld,
  TypeFlag.contiguous,
]);

/** The content size of a layer, fed the headers of its entries in order. */
export class ContentSizeCounter {
  private readonly root = new Map<ByteString, Node>();

  add(header: TarHeader): void {
    const segs = cleanSegments(header.name);
    const whiteout = classifyWhiteout(segs);
    // An opaque marker hides lower layers only; AUFS metadata is not part of the tree.
    if (whiteout.kind === 'opaque' || whiteout.kind === 'metadata') return;
    if (whiteout.kind === 'remove') {
      this.parentOf([...whiteout.dir, whiteout.name]).delete(whiteout.name);
      return;
    }
    const name = segs[segs.length - 1];
    if (name === undefined) return; // the layer root itself
    const parent = this.parentOf(segs);
    if (header.typeflag === TypeFlag.directory) {
      if (!isDir(parent.get(name))) parent.set(name, { dir: new Map() });
      return;
    }
    if (header.typeflag === TypeFlag.hardLink) {
      const target = this.lookup(cleanSegments(header.linkname, 'hard-link target'));
      // A link to nothing this layer holds (Docker refuses it) adds nothing.
      parent.set(name, target && !isDir(target) ? target : { inode: { size: 0 } });
      return;
    }
    parent.set(name, { inode: { size: nodeSize(header) } });
  }

  /** Bytes of the distinct inodes the tree holds now. */
  get total(): number {
    const inodes = new Set<Inode>();
    const pending: Map<ByteString, Node>[] = [this.root];
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      for (const node of dir.values()) {
        if ('dir' in node) pending.push(node.dir);
        else inodes.add(node.inode);
      }
    }
    let total = 0;
    for (const inode of inodes) total += inode.size;
    return total;
  }

  /** The directory holding `segs`, made (replacing any non-directory on the way) where missing. */
  private parentOf(segs: readonly ByteString[]): Map<ByteString, Node> {
    let dir = this.root;
    for (let i = 0; i < segs.length - 1; i++) {
      const seg = segs[i]!;
      let node = dir.get(seg);
      if (!isDir(node)) {
        node = { dir: new Map() };
        dir.set(seg, node);
      }
      dir = node.dir;
    }
    return dir;
  }

  private lookup(segs: readonly ByteString[]): Node | undefined {
    let node: Node | undefined = { dir: this.root };
    for (const seg of segs) node = isDir(node) ? node.dir.get(seg) : undefined;
    return node;
  }
}

function isDir(node: Node | undefined): node is { dir: Map<ByteString, Node> } {
  return node !== undefined && 'dir' in node;
}

/** What lstat reports as the size of the node an entry makes (0 for devices and FIFOs). */
function nodeSize(header: TarHeader): number {
  if (REGULAR_TYPES.has(header.typeflag)) return header.size;
  if (header.typeflag === TypeFlag.symlink) return header.linkname.length; // bytes: latin1
  return 0;
}

function counterHandler(counter: ContentSizeCounter) {
  return {
    entry: (header: TarHeader) => counter.add(header),
    data: () => undefined,
    entryEnd: () => undefined,
    end: () => undefined,
  };
}

/**
 * Counts the content size of the tar bytes written to it, for a reader of the same stream that
 * must not fail because of it: bytes that are not a tar shale can read give `undefined`.
 */
export class ContentSizeTap {
  private readonly counter = new ContentSizeCounter();
  private readonly parser = new TarParser(counterHandler(this.counter));
  private failed = false;
  private ended = false;

  write(chunk: Buffer): void {
    if (this.failed || this.ended) return;
    try {
      this.parser.write(chunk);
    } catch {
      this.failed = true;
    }
  }

  /** The content size, or undefined when the bytes were not a readable tar. */
  end(): number | undefined {
    if (!this.failed && !this.ended) {
      this.ended = true;
      try {
        this.parser.end();
      } catch {
        this.failed = true;
      }
    }
    return this.failed ? undefined : this.counter.total;
  }
}

/** The content size of the uncompressed layer tar `source`; an unreadable tar is an error. */
export async function layerContentSize(source: AsyncIterable<Uint8Array>): Promise<number> {
  const counter = new ContentSizeCounter();
  await parseTar(source, counterHandler(counter));
  return counter.total;
}
