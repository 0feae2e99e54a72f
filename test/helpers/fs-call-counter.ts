// Counts calls into node:fs (every *Sync function and every node:fs/promises function) made while
// `run` runs. The functions are wrapped on the module objects and the ES module named exports are
// resynced (module.syncBuiltinESMExports), so code that imported them by name is counted too.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

export async function countFsCalls(run: () => Promise<void>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const restore: (() => void)[] = [];
  const wrap = (owner: Record<string, unknown>, prefix: string, name: string) => {
    const original = owner[name] as (...args: unknown[]) => unknown;
    owner[name] = function (this: unknown, ...args: unknown[]) {
      counts.set(prefix + name, (counts.get(prefix + name) ?? 0) + 1);
      return original.apply(this, args);
    };
    restore.push(() => (owner[name] = original));
  };
  const sync = fs as unknown as Record<string, unknown>;
  for (const name of Object.keys(sync)) {
    if (name.endsWith('Sync') && typeof sync[name] === 'function') wrap(sync, '', name);
  }
  const promises = fsp as unknown as Record<string, unknown>;
  for (const name of Object.keys(promises)) {
    if (typeof promises[name] === 'function') wrap(promises, 'promises.', name);
  }
  syncBuiltinESMExports();
  try {
    await run();
  } finally {
    for (const undo of restore) undo();
    syncBuiltinESMExports();
  }
  return counts;
}

export function total(counts: Map<string, number>): number {
  let sum = 0;
  for (const n of counts.values()) sum += n;
  return sum;
}
