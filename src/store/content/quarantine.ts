/**
 * Quarantine: where a blob goes once its bytes are known not to match its name (a verifying read
 * or `fsck` found it). `shale/quarantine/<alg>/<hex>` keeps the bytes (nothing is deleted
 * silently) beside `<hex>.json` saying why and when; the blob is no longer in `blobs/`, so the
 * next pull or load that needs it fetches it again.
 */
import { readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from '../../core/zod.ts';
import { digestOf, isDigest, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import { readJsonFile, writeJsonAtomic } from '../json-file.ts';
import type { StoreLayout } from '../layout.ts';

export interface QuarantinedBlob {
  digest: Digest;
  reason: string;
  /** Bytes of the quarantined file. */
  bytes: number;
}

const noteSchema = z.object({ reason: z.string(), time: z.string() });

const ALGORITHMS = ['sha256', 'sha512'] as const;

/** The error a read of a damaged blob raises (after the blob went to quarantine). */
export function damagedBlobError(digest: Digest, actual: Digest): ShaleError {
  return new ShaleError(
    'ERR_DIGEST_MISMATCH',
    `blob ${digest} in the store is damaged (its bytes hash to ${actual}) and was moved to quarantine: run 'shale fsck --repair', or pull or load the image again`,
  );
}

/** The error a read of a blob raises once the blob is in quarantine. */
export function quarantinedBlobError(digest: Digest): ShaleError {
  return new ShaleError(
    'ERR_DIGEST_MISMATCH',
    `blob ${digest} was found damaged and is in quarantine: run 'shale fsck --repair', or pull or load the image again`,
  );
}

export class Quarantine {
  private readonly dir: string;

  constructor(layout: StoreLayout) {
    this.dir = path.join(layout.metaDir, 'quarantine');
  }

  private fileOf(digest: Digest): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.dir, algorithm, hex);
  }

  /**
   * Move the blob at `blobFile` here, the note first: a note without its blob (a move killed
   * midway) is ignored. A blob already gone (another reader quarantined it) is left alone.
   */
  async add(digest: Digest, blobFile: string, reason: string): Promise<void> {
    const file = this.fileOf(digest);
    await writeJsonAtomic(`${file}.json`, { reason, time: new Date().toISOString() });
    await rename(blobFile, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async holds(digest: Digest): Promise<boolean> {
    return stat(this.fileOf(digest)).then(
      () => true,
      () => false,
    );
  }

  /** Every quarantined blob, with the reason it was put here. */
  async list(): Promise<QuarantinedBlob[]> {
    const found: QuarantinedBlob[] = [];
    for (const algorithm of ALGORITHMS) {
      const dir = path.join(this.dir, algorithm);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const hex of names.sort()) {
        const digest = `${algorithm}:${hex}`;
        if (!isDigest(digest)) continue; // a note, or not ours
        const bytes = (await stat(path.join(dir, hex))).size;
        const note = noteSchema.safeParse(
          await readJsonFile(path.join(dir, `${hex}.json`)).catch(() => undefined),
        );
        const reason = note.success ? note.data.reason : 'no reason recorded';
        found.push({ digest: digestOf(algorithm, hex), reason, bytes });
      }
    }
    return found;
  }
}
