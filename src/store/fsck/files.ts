/** Directory listings and leftover reports shared by the fsck checks. */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../store.ts';
import type { ProblemList } from './problems.ts';

/** The names in `dir`, sorted; none when it does not exist. */
export async function sortedNames(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** Bytes a file or directory tree takes (apparent sizes, symlinks not followed). */
export async function diskUsage(file: string): Promise<number> {
  const stats = await lstat(file).catch(() => undefined);
  if (!stats?.isDirectory()) return stats?.size ?? 0;
  let total = 0;
  for (const name of await sortedNames(file)) total += await diskUsage(path.join(file, name));
  return total;
}

/** Report `file` (a file or a tree) as a leftover, with its size. */
export async function reportLeftover(
  store: Store,
  file: string,
  why: string,
  problems: ProblemList,
): Promise<void> {
  problems.add('leftover', path.relative(store.layout.root, file), why, await diskUsage(file));
}
