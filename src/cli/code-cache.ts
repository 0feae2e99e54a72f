/**
 * Loading the CLI's CommonJS bundle through V8's code cache: what Node 22's
 * `module.enableCompileCache()` does, which Node 20 lacks. A run keeps the compiled code of every
 * function it ran in the user's cache directory; later runs skip parsing and compiling those,
 * about a quarter of a shale call's start-up. A cache holds only what its first run compiled, so
 * each command gets its own (a pull that starts from the cache of an `images` run compiles most of
 * its code again: 162 ms against 140 ms for a 404 pull here). A cache file is named by the Node
 * version, the bundle's SHA-256 (V8 itself checks little more than the source's length) and the
 * command, written atomically, and simply not used when it is missing, unreadable or rejected.
 * The directory is kept small: files unused for a week go, and the oldest beyond 64 MiB.
 *
 * The bundle is ASCII (scripts/bundle-cli.mjs), so it is decoded as latin1, a copy into a
 * one-byte string: decoding its 1.6 MB as UTF-8 took ~25 ms of every start.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { constants as vmConstants, Script } from 'node:vm';

/** Cache files of other bundles or Node versions are removed once this old. */
const STALE_AFTER_MS = 7 * 24 * 3600 * 1000;
/** Beyond this many bytes in the directory, the oldest files go. */
const MAX_CACHE_BYTES = 64 << 20;

export interface CachedBundle<T> {
  exports: T;
  /** Stores the code compiled so far, when the cache did not already provide it. */
  saveCache(): void;
}

/**
 * Runs the CommonJS bundle `file` (its module body) and returns its exports; `variant` names the
 * code path about to run (the command), a name of letters, digits and dashes.
 */
export function loadBundle<T>(file: string, variant: string): CachedBundle<T> {
  const bytes = readFileSync(file);
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const cacheFile = path.join(cacheDir(), `${cacheKey(bytes)}-${variant}.v8`);
  const cachedData = readIfPresent(cacheFile);
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    {
      filename: file,
      cachedData,
      // import() inside the bundle (of packages left outside it) works as in any module.
      importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    },
  );
  const module = { exports: {} as T };
  const body = script.runInThisContext() as (...args: unknown[]) => void;
  body(module.exports, createRequire(file), module, file, path.dirname(file));
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;
  return {
    exports: module.exports,
    saveCache: () => {
      if (!fromCache) storeQuietly(cacheFile, () => script.createCachedData());
    },
  };
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'shale', 'code-cache');
}

function cacheKey(bundle: Buffer): string {
  const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 32);
  return `node-${process.version}-${process.arch}-${hash}`;
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes through a temporary name and a rename; a cache that cannot be written is no error. */
function storeQuietly(file: string, data: () => Buffer): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    makeCacheDir(path.dirname(file));
    writeFileSync(temp, data());
    renameSync(temp, file);
    removeStale(path.dirname(file), file);
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // the directory itself is unusable: nothing was written
    }
  }
}

/**
 * Creates the directory and its parent, one level at a time: Node's recursive mkdirSync spins
 * forever on some paths (under /proc, for one), and a cache is not worth a hung command.
 */
function makeCacheDir(dir: string): void {
  for (const level of [path.dirname(path.dirname(dir)), path.dirname(dir), dir]) {
    try {
      mkdirSync(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Removes files unused for STALE_AFTER_MS, then the oldest while the rest exceed MAX_CACHE_BYTES. */
function removeStale(dir: string, keep: string): void {
  const now = Date.now();
  const others = readdirSync(dir)
    .map((name) => path.join(dir, name))
    .filter((file) => file !== keep)
    .flatMap((file) => {
      const stats = statSync(file, { throwIfNoEntry: false }); // another run may have removed it
      return stats ? [{ file, age: now - stats.mtimeMs, size: stats.size }] : [];
    })
    .sort((a, b) => a.age - b.age);
  let total = statSync(keep).size;
  for (const { file, age, size } of others) {
    total += size;
    if (age > STALE_AFTER_MS || total > MAX_CACHE_BYTES) rmSync(file, { force: true });
  }
}
