/**
 * Moving a verified file staged in a scratch directory (see scratch.ts) into the content store
 * under its digest: one rename on the same file system, so an archive's files can be spooled
 * aside first and only those a loaded image keeps ever appear under `blobs/`.
 */
import { chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Digest } from '../../core/digest.ts';
import type { ContentStore } from './content-store.ts';
import { BLOB_MODE, syncDirectory, type IngestResult } from './ingest.ts';

/** Store the verified file `file` (its bytes hash to `digest`) as that blob; it is moved. */
export async function adoptBlob(
  content: ContentStore,
  file: string,
  blob: { digest: Digest; size: number },
): Promise<IngestResult> {
  const final = content.blobPath(blob.digest);
  if (await content.has(blob.digest)) return { ...blob, existed: true };
  await chmod(file, BLOB_MODE);
  await mkdir(path.dirname(final), { recursive: true });
  await rename(file, final); // a racing writer of the same digest wrote the same bytes
  await syncDirectory(path.dirname(final));
  return { ...blob, existed: false };
}
