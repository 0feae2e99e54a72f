/**
 * Checkouts: which image a working tree was checked out from, and the tree record of how the
 * tree was then (what `diff` compares it with, instead of a copy of the base), kept in the
 * store (keyed by the tree's real path), never inside the tree itself. The record file has a
 * fresh name each time and the JSON naming it is replaced atomically: a reader sees the old
 * pair or the new one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeTreeRecord } from '../archive/changes/index.ts';
import * as z from '../core/zod.ts';
import type { Digest } from '../core/digest.ts';
import { digestSchema } from '../core/digest-schema.ts';
import { ShaleError } from '../core/errors.ts';
import { readJsonFile, writeJsonAtomic } from './json-file.ts';
import type { StoreLayout } from './layout.ts';
import { withLock } from './lock.ts';
import { ownedTempPath } from './temp-names.ts';

/** The lock under which a checkout's tree record is switched. */
const CHECKOUTS_LOCK = 'checkouts';
const TREE_FILE = /^[0-9a-f]{64}\.[0-9a-f]{12}\.tree$/;

const checkoutSchema = z.object({
  dir: z.string(),
  image: digestSchema,
  /** Absent in checkouts recorded before tree records existed. */
  tree: z.optional(z.string().check(z.regex(TREE_FILE))),
});

export interface Checkout {
  /** The image the tree was checked out from (or last committed as). */
  image: Digest;
  /** The tree record file, when there is one. */
  treeRecord: string | undefined;
}

export class CheckoutStore {
  private readonly dir: string;

  constructor(private readonly layout: StoreLayout) {
    this.dir = path.join(layout.metaDir, 'checkouts');
  }

  private async locate(tree: string): Promise<{ file: string; key: string; real: string }> {
    let real: string;
    try {
      real = await realpath(tree);
    } catch {
      throw new ShaleError('ERR_NOT_FOUND', `${tree} does not exist`);
    }
    const key = createHash('sha256').update(real).digest('hex');
    return { file: path.join(this.dir, `${key}.json`), key, real };
  }

  private async read(file: string) {
    const parsed = checkoutSchema.safeParse(await readJsonFile(file));
    return parsed.success ? parsed.data : undefined;
  }

  async get(tree: string): Promise<Checkout> {
    const recorded = await this.read((await this.locate(tree)).file);
    if (!recorded)
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${tree} is not a shale checkout (run shale checkout REF ${tree} first)`,
      );
    return {
      image: recorded.image,
      treeRecord: recorded.tree && path.join(this.dir, recorded.tree),
    };
  }

  /** The image `tree` was checked out from (or last committed as). */
  async baseOf(tree: string): Promise<Digest> {
    return (await this.get(tree)).image;
  }

  /** `tree` is now `image` as it is on disk: records both (the tree must hold still meanwhile). */
  async record(tree: string, image: Digest): Promise<void> {
    const { file, key, real } = await this.locate(tree);
    const previous = await this.read(file);
    const name = `${key}.${randomBytes(6).toString('hex')}.tree`;
    await mkdir(this.dir, { recursive: true });
    // Written under a temp name that says whose it is (a kill while the tree is walked leaves a
    // temp prune knows to remove), then switched under the checkouts lock, so that a tree record
    // no checkout names, seen under that lock, is one a kill left behind.
    const temp = ownedTempPath(path.join(this.dir, name));
    try {
      writeTreeRecord(real, temp);
      await withLock(this.layout, CHECKOUTS_LOCK, async () => {
        await rename(temp, path.join(this.dir, name));
        await writeJsonAtomic(file, { dir: real, image, tree: name });
        if (previous?.tree) await rm(path.join(this.dir, previous.tree), { force: true });
      });
    } catch (err) {
      await rm(temp, { force: true });
      await rm(path.join(this.dir, name), { force: true });
      throw err;
    }
  }

  /** Tree records no checkout names: what a kill between switching records left behind. */
  async orphanTreeRecords(): Promise<string[]> {
    return withLock(this.layout, CHECKOUTS_LOCK, async () => {
      const names = await readdir(this.dir).catch(() => [] as string[]);
      const named = new Set<string>();
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const tree = (await this.read(path.join(this.dir, name)))?.tree;
        if (tree) named.add(tree);
      }
      return names
        .filter((n) => TREE_FILE.test(n) && !named.has(n))
        .map((n) => path.join(this.dir, n))
        .sort();
    });
  }
}
