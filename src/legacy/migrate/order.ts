/**
 * The order a legacy graph is migrated in: every image after its parent (spec §4.5: an image ID
 * hashes its parent's). A graph whose parents form a cycle (only a damaged or hostile one) cannot
 * be migrated that way: the images on the cycle are named, to be refused, and nothing waits on
 * them forever.
 */
import type { LegacyGraph } from './graph.ts';

export interface MigrationOrder {
  /** Legacy IDs, parents first (an unreadable image where it is). */
  order: string[];
  /** Images that are their own ancestors. */
  cyclic: Set<string>;
}

export async function migrationOrder(
  graph: LegacyGraph,
  ids: readonly string[],
): Promise<MigrationOrder> {
  const order: string[] = [];
  const cyclic = new Set<string>();
  const finished = new Set<string>();
  const path: string[] = []; // the images being visited, each the child of the one before
  const visit = async (id: string): Promise<void> => {
    if (finished.has(id)) return;
    const at = path.indexOf(id);
    if (at !== -1) {
      for (const onCycle of path.slice(at)) cyclic.add(onCycle);
      return;
    }
    path.push(id);
    const parent = (await graph.image(id).catch(() => undefined))?.parent;
    if (parent !== undefined) await visit(parent);
    path.pop();
    finished.add(id);
    order.push(id);
  };
  for (const id of ids) await visit(id);
  return { order, cyclic };
}
