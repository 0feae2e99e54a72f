/**
 * The order in which per-entry sums are combined: sorted by sum, except that entries whose names
 * collide keep their archive order (spec §1.4). Upstream's comparator is only consistent when
 * every colliding pair is adjacent in sum order; anything else depends on Go's sort internals,
 * so it is refused instead of guessed.
 */
import { ShaleError } from '../../core/errors.ts';
import type { TarsumVariant } from './versions.ts';

export interface EntrySum {
  name: string;
  sum: string;
  pos: number;
}

/** Name normalisation used only to detect collisions. */
export function collisionKey(name: string, variant: TarsumVariant): string {
  if (variant === '2015') {
    let key = name.startsWith('./') ? name.slice(2) : name;
    if (key.endsWith('/')) key = key.slice(0, -1);
    return key;
  }
  const parts: string[] = [];
  for (const part of `/${name}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

export function orderSums(entries: EntrySum[], variant: TarsumVariant): EntrySum[] {
  const sorted = [...entries].sort((a, b) => (a.sum < b.sum ? -1 : a.sum > b.sum ? 1 : 0));
  const byKey = new Map<string, number[]>();
  sorted.forEach((entry, index) => {
    const key = collisionKey(entry.name, variant);
    const list = byKey.get(key);
    if (list) list.push(index);
    else byKey.set(key, [index]);
  });
  for (const [key, indexes] of byKey) {
    if (indexes.length === 1) continue;
    if (indexes.length > 2) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `tarsum: path ${JSON.stringify(key)} occurs ${indexes.length} times; its order is undefined upstream`,
      );
    }
    const [i, j] = indexes as [number, number];
    if (sorted[i]!.pos < sorted[j]!.pos) continue;
    if (j !== i + 1 && sorted[i]!.sum !== sorted[j]!.sum) {
      throw new ShaleError(
        'ERR_UNSUPPORTED',
        `tarsum: duplicate entries for ${JSON.stringify(key)} interleave with others; their order is undefined upstream`,
      );
    }
    [sorted[i], sorted[j]] = [sorted[j]!, sorted[i]!];
  }
  return sorted;
}
