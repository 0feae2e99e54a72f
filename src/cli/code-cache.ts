/**
 * Loading the CLI's CommonJS bundle through V8's code cache: what Node 22's
 * `module.enableCompileCache()` does, which Node 20 lacks. A run keeps the compiled code of every
 * function it ran in the user's cache directory; later runs skip parsing and compiling those,
 * about a quarter of a shale call's start-up. A cache holds only what its first run compiled, so
 * each command gets its own (a pull that starts from the cache of an `images` run compiles most of
 * its code again: 162 ms against 140 ms for a 404 pull here). A cache file is named by the Node
 * version, the bundle's SHA-256 (V8 itself checks little more than the source's length) and the
 * command, written atomically, and simply not used when it is missing, unreadable or rejected.
 */
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
  const source = readFileSync(file, 'utf8');
  const cacheFile = path.join(cacheDir(), `${cacheKey(source)}-${variant}.v8`);
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

function cacheKey(source: string): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 32);
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

function removeStale(dir: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (file !== keep && now - statSync(file).mtimeMs > STALE_AFTER_MS)
      rmSync(file, { force: true });
  }
}
