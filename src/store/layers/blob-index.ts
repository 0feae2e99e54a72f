/**
 * The blobs that hold layers: for each, the DiffID it holds, its compression and uncompressed
 * size (`blobinfo/<alg>/<blob hex>.json`), and per DiffID the set of its blobs
 * (`diffids/<alg>/<diffid hex>/<blob alg>-<blob hex>`, empty markers several processes can add to
 * without a lock).
 *
 * A DiffID is either computed from the bytes or, for a blob a pull stored without decompressing
 * it, *claimed* by the image config that named it (`unverified`). A claim is checked by the first
 * read that decompresses the blob (extraction, save, TarSum) and a blob whose bytes contradict it
 * is refused there; claims are never used to stand in for another blob of the same DiffID.
 *
 * A read that decompresses a blob also counts the layer's content size (Docker's figure,
 * archive/content-size.ts) and records it; `measureLayer` makes that read when none has yet.
 */
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import * as z from '../../core/zod.ts';
import { sizeSchema } from '../../core/size-schema.ts';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { decompressStream, type Compression } from '../../archive/compression/index.ts';
import {
  applyLayerBlob,
  type ApplyBlobOptions,
  type ApplyResult,
} from '../../archive/apply/index.ts';
import { computeDiffId, type DiffIdResult } from '../../archive/diffid.ts';
import { digestSchema as digest } from '../../core/digest-schema.ts';
import { asDigest, digestOf, parseDigest, type Digest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { ContentStore } from '../content/index.ts';
import { writeCache } from '../cache-write.ts';
import { writeJsonAtomic } from '../json-file.ts';
import { readRecord, replaceable } from '../record-file.ts';
import type { StoreLayout } from '../layout.ts';
import { storedBlobFacts } from './blob-facts.ts';

const blobInfoSchema = z.object({
  diffId: digest,
  compression: z.enum(['gzip', 'zstd', 'xz', 'bzip2', 'none']),
  /** Bytes of the uncompressed layer tar (an estimate while `unverified`). */
  uncompressedSize: sizeSchema,
  /** Docker's size of the layer: its file contents (archive/content-size.ts), once a read counted it. */
  contentSize: z.optional(sizeSchema),
  /** The DiffID is an image config's claim, not yet checked against the bytes. */
  unverified: z.optional(z.literal(true)),
  /** Repositories (`host/name`) the blob was pulled from: candidates for cross-repository mounts. */
  sources: z.optional(z.array(z.string())),
  /** The mirror (`host/name`) of a source that served the blob's bytes, when one did. */
  servedBy: z.optional(z.string()),
});
export type BlobInfo = z.infer<typeof blobInfoSchema> & { compression: Compression };

/** What reading a blob taught: its info, and the claim it contradicted, if any. */
interface Learned {
  info: BlobInfo;
  contradicted?: BlobInfo;
}

export function digestFile(dir: string, d: Digest, suffix = ''): string {
  const { algorithm, hex } = parseDigest(d);
  return path.join(dir, algorithm, `${hex}${suffix}`);
}

function contradiction(blob: Digest, actual: Digest, recorded: BlobInfo | Digest): ShaleError {
  const said =
    typeof recorded === 'string'
      ? `the image config says ${recorded}`
      : recorded.unverified
        ? `the image config it was pulled with says ${recorded.diffId} (remove the images using it and pull them again)`
        : `the store recorded ${recorded.diffId}: the store's record is damaged (run 'shale fsck --repair')`;
  return new ShaleError(
    'ERR_DIGEST_MISMATCH',
    `layer blob ${blob} uncompresses to ${actual}, but ${said}`,
  );
}

export class LayerBlobIndex {
  private readonly blobInfoDir: string;
  private readonly diffIdsDir: string;

  constructor(
    layout: StoreLayout,
    protected readonly content: ContentStore,
  ) {
    this.blobInfoDir = path.join(layout.metaDir, 'blobinfo');
    this.diffIdsDir = path.join(layout.metaDir, 'diffids');
  }

  /** What `blob` holds, as recorded; ERR_BAD_RECORD when the record is damaged. */
  async blobInfo(blob: Digest): Promise<BlobInfo | undefined> {
    return readRecord(digestFile(this.blobInfoDir, blob, '.json'), blobInfoSchema, {
      // a plain sha256 tar is its own DiffID
      disagreement: (r) =>
        r.compression === 'none' && parseDigest(blob).algorithm === 'sha256' && r.diffId !== blob
          ? `it gives the plain tar ${blob} the DiffID ${r.diffId}`
          : undefined,
    });
  }

  /** Every stored blob known to hold this DiffID (its compressed forms, or the plain tar). */
  async blobsOf(diffId: Digest): Promise<Digest[]> {
    let names: string[];
    try {
      names = await readdir(digestFile(this.diffIdsDir, diffId));
    } catch {
      return [];
    }
    return names.map((n) => asDigest(n.replace('-', ':'))).sort();
  }

  /** What a stored blob holds: as recorded (computed or claimed), else computed now. */
  async describeBlob(blob: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    return (await this.blobInfo(blob)) ?? this.verifyBlob(blob, signal);
  }

  /**
   * What a stored blob holds, computed from its bytes unless that was done before; a claim the
   * bytes contradict is an error (after the record is corrected: the bytes win).
   */
  async verifyBlob(blob: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    const { info, contradicted } = await this.readBlob(blob, signal);
    if (contradicted) throw contradiction(blob, info.diffId, contradicted);
    return info;
  }

  /** Stored `blob`'s info, checked against the DiffID an image config names for it. */
  async checkDiffId(blob: Digest, diffId: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    let info = await this.describeBlob(blob, signal);
    // Two configs disagree about a blob nobody has read yet: its bytes settle it.
    if (info.diffId !== diffId && info.unverified) info = (await this.readBlob(blob, signal)).info;
    if (info.diffId !== diffId) throw contradiction(blob, info.diffId, diffId);
    return info;
  }

  private async readBlob(blob: Digest, signal?: AbortSignal): Promise<Learned> {
    const known = await this.blobInfo(blob);
    if (known && !known.unverified) return { info: known };
    if (!(await this.content.has(blob)))
      throw new ShaleError('ERR_NOT_FOUND', `blob ${blob} is not in the store`);
    return this.learn(blob, await this.computeDiffId(blob, signal));
  }

  /** The DiffID (and content size) of stored `blob`, by a verifying read. */
  private async computeDiffId(blob: Digest, signal?: AbortSignal): Promise<DiffIdResult> {
    return this.content.readThrough(
      blob,
      (stream) => computeDiffId(stream, { signal, countContent: true }),
      signal,
    );
  }

  /**
   * Record that stored `blob` holds layer `diffId`, as the image config it came with says,
   * without decompressing it: a pull defers that work to the first read. A plain tar's claim is
   * checked at once (its DiffID is its own digest).
   */
  async claimDiffId(
    blob: Digest,
    diffId: Digest,
    sources: readonly string[],
    servedBy?: string,
  ): Promise<BlobInfo> {
    const known = await this.blobInfo(blob);
    const facts = known ? undefined : await storedBlobFacts(this.content.blobPath(blob));
    let info: BlobInfo;
    if (!facts) info = await this.checkDiffId(blob, diffId);
    else if (facts.compression === 'none') {
      if (blob !== diffId) throw contradiction(blob, blob, diffId);
      info = { diffId, compression: 'none', uncompressedSize: facts.size };
    } else {
      const { compression, uncompressedEstimate } = facts;
      info = { diffId, compression, uncompressedSize: uncompressedEstimate, unverified: true };
    }
    await this.recordBlobInfo(blob, {
      ...info,
      sources: [...sources],
      ...(servedBy !== undefined && { servedBy }),
    });
    return info;
  }

  /** Record what a read of stored `blob` found; an error when it contradicts the record. */
  async confirmDiffId(blob: Digest, actual: DiffIdResult): Promise<BlobInfo> {
    const { info, contradicted } = await this.learn(blob, actual);
    if (contradicted) throw contradiction(blob, info.diffId, contradicted);
    return info;
  }

  /**
   * Record what a read of stored `blob` found (when the store is writable). A claim it contradicts
   * is replaced (the blob no longer counts as holding the claimed DiffID) and returned; a
   * contradicted computed record means the store is damaged.
   */
  private async learn(blob: Digest, actual: DiffIdResult): Promise<Learned> {
    const known = await this.blobInfo(blob);
    if (known && !known.unverified) {
      if (known.diffId !== actual.diffId) throw contradiction(blob, actual.diffId, known);
      if (known.contentSize !== undefined || actual.contentSize === undefined)
        return { info: known };
      const counted = { ...known, contentSize: actual.contentSize };
      await writeCache(() => this.recordBlobInfo(blob, counted));
      return { info: counted };
    }
    const info: BlobInfo = {
      diffId: actual.diffId,
      compression: actual.compression,
      uncompressedSize: actual.size,
    };
    if (actual.contentSize !== undefined) info.contentSize = actual.contentSize;
    await writeCache(() => this.recordBlobInfo(blob, info));
    if (!known || known.diffId === actual.diffId) return { info };
    await writeCache(() => this.dropMarker(known.diffId, blob));
    return { info, contradicted: known };
  }

  private markerFile(diffId: Digest, blob: Digest): string {
    const { algorithm, hex } = parseDigest(blob);
    return path.join(digestFile(this.diffIdsDir, diffId), `${algorithm}-${hex}`);
  }

  /** Forget that `blob` holds `diffId`; the DiffID's directory goes with its last marker. */
  private async dropMarker(diffId: Digest, blob: Digest): Promise<void> {
    await rm(this.markerFile(diffId, blob), { force: true });
    await rmdir(digestFile(this.diffIdsDir, diffId)).catch(() => undefined); // kept if not empty
  }

  /** Add the marker; another process may remove the directory between mkdir and write. */
  private async addMarker(diffId: Digest, blob: Digest): Promise<void> {
    const marker = this.markerFile(diffId, blob);
    for (;;) {
      await mkdir(path.dirname(marker), { recursive: true });
      try {
        return await writeFile(marker, '');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  /**
   * Record what a stored blob holds, computed by the caller while it wrote the blob (a pull may
   * hash the decompressed stream as it downloads). Sources are merged with those already known.
   */
  async recordBlobInfo(blob: Digest, info: BlobInfo): Promise<void> {
    const known = (await replaceable(this.blobInfo(blob)))?.sources ?? [];
    const sources = [...new Set([...known, ...(info.sources ?? [])])];
    await writeJsonAtomic(digestFile(this.blobInfoDir, blob, '.json'), {
      ...info,
      ...(sources.length > 0 && { sources: sources.sort() }),
    });
    await this.addMarker(info.diffId, blob);
  }

  /**
   * The stored blob to read layer `diffId` from: the plain tar when there is one, then a blob
   * whose DiffID was checked, then one that holds it by claim.
   */
  async pickBlob(diffId: Digest): Promise<{ digest: Digest; info: BlobInfo }> {
    const candidates: { digest: Digest; info: BlobInfo }[] = [];
    for (const digest of await this.blobsOf(diffId)) {
      const info = await this.blobInfo(digest);
      if (info && (await this.content.has(digest))) candidates.push({ digest, info });
    }
    const rank = ({ info }: { info: BlobInfo }): number =>
      info.compression === 'none' ? 0 : info.unverified ? 2 : 1;
    const [best] = candidates.sort((a, b) => rank(a) - rank(b));
    if (!best) {
      throw new ShaleError(
        'ERR_NOT_FOUND',
        `layer ${diffId} has no blob in the store (pull or load its image again, or run 'shale fsck --repair')`,
      );
    }
    return best;
  }

  /** The blob layer `diffId` is read from, holding it by its bytes (checked now if only claimed). */
  async verifyLayer(
    diffId: Digest,
    signal?: AbortSignal,
  ): Promise<{ digest: Digest; info: BlobInfo }> {
    const { digest, info } = await this.pickBlob(diffId);
    return { digest, info: info.unverified ? await this.verifyBlob(digest, signal) : info };
  }

  /**
   * What a blob of layer `diffId` holds, with the layer's content size: as a read recorded it,
   * else counted now by reading the best blob through (which checks a claimed DiffID too).
   */
  async measureLayer(
    diffId: Digest,
    signal?: AbortSignal,
  ): Promise<BlobInfo & { contentSize: number }> {
    for (const blob of await this.blobsOf(diffId)) {
      const info = await this.blobInfo(blob);
      if (info?.contentSize !== undefined && !info.unverified)
        return { ...info, contentSize: info.contentSize };
    }
    const { digest } = await this.pickBlob(diffId);
    const info = await this.confirmDiffId(digest, await this.computeDiffId(digest, signal));
    if (info.contentSize === undefined) {
      throw new ShaleError(
        'ERR_BAD_TAR',
        `layer ${diffId} (blob ${digest}) is not a tar shale can read; its size cannot be counted`,
      );
    }
    return { ...info, contentSize: info.contentSize };
  }

  /**
   * The uncompressed tar of layer `diffId`, from a blob that holds it by its bytes, verified as it
   * streams: the blob against its digest and what it decompresses to against `diffId` (one hash
   * when the blob is the plain tar itself). A mismatch fails the stream at its end.
   */
  async openDiff(diffId: Digest, signal?: AbortSignal): Promise<Readable> {
    const { digest, info } = await this.verifyLayer(diffId, signal);
    if (digest === diffId) return this.content.open(digest);
    return Readable.from(this.checkedDiff(digest, info, signal), { objectMode: false });
  }

  private async *checkedDiff(
    blob: Digest,
    info: BlobInfo,
    signal?: AbortSignal,
  ): AsyncGenerator<Buffer> {
    const stream = this.content.open(blob);
    const decoded = decompressStream(stream, info.compression);
    const hash = createHash('sha256');
    try {
      for await (const chunk of decoded as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
        hash.update(chunk);
        yield chunk;
      }
      await stream.verified();
    } catch (err) {
      throw signal?.aborted ? err : await stream.explain(err);
    } finally {
      decoded.destroy();
    }
    const diffId = digestOf('sha256', hash.digest('hex'));
    if (diffId !== info.diffId) throw contradiction(blob, diffId, info);
  }

  /**
   * Extract layer `diffId` into `root` from its best blob, verified by the same read, so the caller
   * learns of damage or of a contradicted claim before it keeps anything it extracted. A blob whose
   * DiffID was learned from its bytes is checked against its own digest: the same bytes decompress
   * to the same tree, and hashing the compressed form costs a fraction of hashing the tar (the plain
   * tar's digest is its DiffID). A blob that only an image config vouches for is checked by what it
   * decompresses to; when that check or the decoder fails, its digest is hashed too, to tell a
   * damaged blob (quarantined) from a config that names another layer.
   */
  async applyLayer(
    diffId: Digest,
    root: string,
    options: ApplyBlobOptions = {},
  ): Promise<ApplyResult> {
    const { digest, info } = await this.pickBlob(diffId);
    // Content sizes are counted (per file, a cost on many small files) only when not yet known.
    const countContent = options.countContent ?? info.contentSize === undefined;
    if (!info.unverified) {
      return this.content.readThrough(
        digest,
        (blob) => applyLayerBlob(root, blob, { ...options, countContent }),
        options.signal,
      );
    }
    let applied;
    try {
      const blob = createReadStream(this.content.blobPath(digest), { highWaterMark: 1 << 20 });
      applied = await applyLayerBlob(root, blob, { ...options, diffId: true, countContent: true });
    } catch (err) {
      if (!options.signal?.aborted) await this.content.verifyWhole(digest);
      throw err;
    }
    if (applied.diffId.diffId !== diffId) await this.content.verifyWhole(digest);
    await this.confirmDiffId(digest, applied.diffId);
    return applied;
  }

  /** Remove a stored blob together with what is known about it (its DiffID mapping). */
  async removeBlob(blob: Digest): Promise<void> {
    // The blob first: a kill after it leaves records of a blob that is gone, which readers skip
    // and `fsck --repair` drops; the blob info last, since it names the marker to drop.
    const info = await this.blobInfo(blob);
    await this.content.delete(blob);
    if (info) {
      await this.dropMarker(info.diffId, blob);
      await rm(digestFile(this.blobInfoDir, blob, '.json'), { force: true });
    }
  }
}
