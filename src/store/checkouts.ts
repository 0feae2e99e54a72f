/**
 * Checkouts: which image a working tree was checked out from, kept in the store (keyed by the
 * tree's real path), never inside the tree itself.
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../core/zod.ts';
import type { Digest } from '../core/digest.ts';
import { digestSchema } from '../core/digest-schema.ts';
import { ShaleError } from '../core/errors.ts';
import { readJsonFile, writeJsonAtomic } from './json-file.ts';
import type { StoreLayout } from './layout.ts';

const checkoutSchema = z.object({ dir: z.string(), image: digestSchema });

export class CheckoutStore {
  private readonly dir: string;

  constructor(layout: StoreLayout) {
    this.dir = path.join(layout.metaDir, 'checkouts');
  }

  private async fileFor(tree: string): Promise<{ file: string; real: string }> {
    let real: string;
    try {
      real = await realpath(tree);
    } catch {
      throw new ShaleError('ERR_NOT_FOUND', `${tree} does not exist`);
    }
    return {
      file: path.join(this.dir, `${createHash('sha256').update(real).digest('hex')}.json`),
      real,
    };
  }

  /** The image `tree` was checked out from (or last committed as). */
  async baseOf(tree: string): Promise<Digest> {
    const { file } = await this.fileFor(tree);
    const parsed = checkoutSchema.safeParse(await readJsonFile(file));
    if (!parsed.success)
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `${tree} is not a shale checkout (run shale checkout REF ${tree} first)`,
      );
    return parsed.data.image;
  }

  async record(tree: string, image: Digest): Promise<void> {
    const { file, real } = await this.fileFor(tree);
    await writeJsonAtomic(file, { dir: real, image });
  }
}
