/**
 * Paths inside an image archive, kept inside it: entry names are normalised (`./a//b` → `a/b`)
 * and refused when absolute or climbing out with `..`; a path named by manifest.json or
 * index.json is resolved through the archive's own symlinks, in scope, and refused when a link
 * leads outside the archive or loops. Names are byte strings.
 */
import { ShaleError } from '../../core/errors.ts';
import { byteStringToDisplay, type ByteString } from '../../archive/tar/index.ts';

/** Links followed while resolving one path before it counts as a loop (Linux's limit). */
const MAX_LINK_HOPS = 40;

function outside(name: ByteString, why: string): ShaleError {
  return new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `archive entry ${JSON.stringify(byteStringToDisplay(name))} ${why}: the archive is unsafe, not loading it`,
  );
}

/** Apply `parts` to `base` (components), refusing `..` above the root. */
function walk(base: string[], parts: string[], name: ByteString): string[] {
  const out = [...base];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw outside(name, 'points outside the archive');
      out.pop();
    } else {
      out.push(part);
    }
  }
  return out;
}

/** The canonical form of an entry name; throws for absolute names and `..` escapes. */
export function normalizeEntryName(name: ByteString): ByteString {
  if (name.startsWith('/')) throw outside(name, 'has an absolute path');
  return walk([], name.split('/'), name).join('/');
}

/**
 * Resolve `name` to the canonical name of the entry it reaches, following every symlink on the
 * way relative to its directory; `symlinkAt` gives the target of the entry with a canonical name,
 * when that entry is a symlink.
 */
export function resolveInScope(
  name: ByteString,
  symlinkAt: (canonical: ByteString) => ByteString | undefined,
): ByteString {
  if (name.startsWith('/')) throw outside(name, 'has an absolute path');
  let pending = name.split('/');
  let resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    resolved = walk(resolved, [pending.shift()!], name);
    const target = symlinkAt(resolved.join('/'));
    if (target === undefined) continue;
    if (++hops > MAX_LINK_HOPS) throw outside(name, 'leads through a loop of symlinks');
    if (target.startsWith('/'))
      throw outside(name, 'is reached through a symlink to an absolute path');
    resolved.pop();
    pending = [...target.split('/'), ...pending];
  }
  return resolved.join('/');
}
