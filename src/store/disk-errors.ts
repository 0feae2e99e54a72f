/**
 * File-system failures inside a store — a full disk, a read-only file system, a store owned by
 * another user — turned into the store's words (core/system-errors.ts `describeStoreFailure`):
 * by the writers of store files, which know what they were writing and how much was left, and by
 * the CLI for anything else that failed on a path inside the store.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeStoreFailure, type StoreFailureContext } from '../core/system-errors.ts';

/** What the failing write was writing (`blob sha256:…`) and how many more bytes it needed. */
export interface Writing {
  what: string;
  neededBytes?: number;
}

/** The context for the store at `root`: its owner, read only when a failure needs words. */
export function storeFailureContext(root: string, writing?: Writing): StoreFailureContext {
  let ownerUid: number | undefined;
  try {
    ownerUid = statSync(root).uid;
  } catch {
    ownerUid = undefined; // the root itself is unreachable: the words name no owner
  }
  return {
    root,
    ownerUid,
    uid: process.getuid?.(),
    ...(writing && { writing: writing.what, neededBytes: writing.neededBytes }),
  };
}

/** The store root holding `file`: its nearest ancestor with the store marker `shale/store.json`. */
function storeRootOf(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'shale', 'store.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * `err`, raised while writing the store file `file`, as the store's ShaleError when the disk is
 * full, read-only or not ours; any other failure is returned as it is.
 */
export function storeWriteFailure(err: unknown, file: string, writing: Writing): unknown {
  const root = storeRootOf(file);
  if (root === undefined) return err;
  return describeStoreFailure(err, { ...storeFailureContext(root, writing), file }) ?? err;
}
