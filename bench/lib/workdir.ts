/**
 * File-system helpers of the runner: where runs write (one file system for every side), free
 * space, reading inputs into the page cache, counting an extracted tree, fresh directories.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  statfsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function freeBytes(dir: string): number {
  const st = statfsSync(dir);
  return st.bavail * st.bsize;
}

/**
 * The parent of the run's work directory (stores, outputs, dockerd's data root):
 * $SHALE_BENCH_WORK_DIR, else /dev/shm when it has `wantBytes` free (tmpfs keeps the disk's
 * write-back out of the figures), else the OS temp dir.
 */
export function workParent(wantBytes: number): string {
  const chosen = process.env.SHALE_BENCH_WORK_DIR;
  if (chosen) return chosen;
  try {
    if (freeBytes('/dev/shm') >= wantBytes) return '/dev/shm';
  } catch {
    // no /dev/shm
  }
  return tmpdir();
}

export const makeWorkDir = (parent: string) => mkdtempSync(path.join(parent, 'shale-bench-'));

const TMPFS_MAGIC = 0x01021994;
const tmpfsDirs = new Map<string, boolean>();

/** Whether `dir` is on tmpfs, where nothing written goes to a disk (asked once a directory). */
function onTmpfs(dir: string): boolean {
  let known = tmpfsDirs.get(dir);
  if (known === undefined) {
    try {
      known = statfsSync(dir).type === TMPFS_MAGIC;
    } catch {
      known = false;
    }
    tmpfsDirs.set(dir, known);
  }
  return known;
}

/**
 * Removes `dir`, syncs (no write-back of a previous run during the next one; skipped on tmpfs,
 * which writes nothing back), and creates it empty.
 */
export function freshDir(dir: string, create = true): void {
  rmSync(dir, { recursive: true, force: true });
  if (!onTmpfs(path.dirname(dir))) spawnSync('sync');
  if (create) mkdirSync(dir, { recursive: true });
}

function filesUnder(entry: string): string[] {
  if (!statSync(entry).isDirectory()) return [entry];
  return readdirSync(entry, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() || e.isFile() ? filesUnder(path.join(entry, e.name)) : [],
  );
}

/** Reads every file under `entries` once, so that every side reads them from memory. */
export function warmPageCache(entries: string[]): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const file of entries.flatMap(filesUnder)) {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0) {
        // reading is the point
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Counts the entries (files, directories, links) under `dir`, `dir` itself excluded. */
export function countEntries(dir: string): number {
  let n = 0;
  const stack = [dir];
  for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      n++;
      if (e.isDirectory()) stack.push(path.join(d, e.name));
    }
  }
  return n;
}
