/**
 * In-scope path resolution (Docker's FollowSymlinkInScope, done by hand with lstat because Node has
 * no openat2/chroot): parent components that are symlinks are followed with their targets rooted
 * at the layer root and `..` clamped there, so a resolved path can never leave the root.
 *
 * Resolution is incremental: every directory path resolved in this layer is remembered (a trie of
 * entry-path segments, with the real directory and the symlink hops it took), so an entry costs one
 * lookup per segment and file-system calls only for the components not seen before. What a known
 * path resolves to changes only when a directory or symlink on the way is removed, and every such
 * removal goes through `forget` (see Applier.remove).
 */
import { chmodSync, mkdirSync, readlinkSync } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { toByteString, type ByteString } from '../tar/index.ts';
import { display } from './clean.ts';
import { joinPath, lstatOrNull } from './fs-path.ts';

/** Most symlinks followed while resolving one path (Linux's MAXSYMLINKS is 40; Docker uses 255). */
export const MAX_SYMLINK_HOPS = 255;

/** A real directory under the root (no symlinks in it), as a chain to its parent; null: the root. */
type RealDir = { readonly up: RealDir; readonly name: ByteString } | null;

/**
 * A path resolved so far: its real directory (also as segments), the symlinks followed to reach
 * it, what lies below.
 */
interface Known {
  readonly real: RealDir;
  readonly segs: readonly ByteString[];
  readonly hops: number;
  readonly below: Map<ByteString, Known>;
}

function segmentsOf(dir: RealDir): ByteString[] {
  const segs: ByteString[] = [];
  for (let d = dir; d !== null; d = d.up) segs.push(d.name);
  return segs.reverse();
}

export class ScopeResolver {
  private known: Known = { real: null, segs: [], hops: 0, below: new Map() };

  /** `beforeLookup`: told of each real path before the file system is asked what it is. */
  constructor(
    private readonly root: Buffer,
    private readonly beforeLookup: (real: readonly ByteString[]) => void = () => {},
  ) {}

  /** Drop everything remembered: a directory or symlink under the root was removed. */
  forget(): void {
    this.known = { real: null, segs: [], hops: 0, below: new Map() };
  }

  /**
   * The real directory (segments from the root, no symlinks left) that `segs` names. Missing
   * components are created (mode 0755) when `create` is set, otherwise the result is null. A
   * component that exists and is neither a directory nor a symlink is ERR_BAD_TAR.
   */
  resolveDir(
    segs: readonly ByteString[],
    create: boolean,
    onCreate?: (real: ByteString[]) => void,
  ): readonly ByteString[] | null {
    let at = this.known;
    let i = 0;
    for (let next; i < segs.length && (next = at.below.get(segs[i]!)) !== undefined; i++) {
      at = next;
    }
    for (; i < segs.length; i++) {
      const step = this.step(at, segs[i]!, segs, create, onCreate);
      if (step === null) return null;
      at.below.set(segs[i]!, step);
      at = step;
    }
    return at.segs;
  }

  /** Resolve one more segment below `from`, following symlinks in scope. */
  private step(
    from: Known,
    seg: ByteString,
    segs: readonly ByteString[],
    create: boolean,
    onCreate?: (real: ByteString[]) => void,
  ): Known | null {
    let resolved = from.real;
    let hops = from.hops;
    const stack = [seg];
    while (stack.length > 0) {
      const part = stack.pop()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        resolved = resolved?.up ?? null; // clamped at the root
        continue;
      }
      resolved = { up: resolved, name: part };
      const real = segmentsOf(resolved);
      this.beforeLookup(real);
      const p = joinPath(this.root, real);
      const st = lstatOrNull(p);
      if (st === null) {
        if (!create) return null;
        mkdirSync(p, { mode: 0o755 });
        chmodSync(p, 0o755);
        onCreate?.(real);
        continue;
      }
      if (st.isDirectory()) continue;
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new ShaleError(
            'ERR_BAD_TAR',
            `too many levels of symbolic links resolving ${display(segs)} inside the layer root`,
          );
        }
        const target = toByteString(readlinkSync(p, { encoding: 'buffer' }));
        resolved = target.startsWith('/') ? null : resolved.up; // absolute targets are rooted at the root
        const parts = target.split('/');
        for (let k = parts.length - 1; k >= 0; k--) stack.push(parts[k]!);
        continue;
      }
      throw new ShaleError(
        'ERR_BAD_TAR',
        `${display(segmentsOf(resolved))} is not a directory but the layer puts ${display(segs)} inside it`,
      );
    }
    return { real: resolved, segs: segmentsOf(resolved), hops, below: new Map() };
  }
}
