/**
 * Staging the images of an oci-archive (a tarred OCI layout) from a spooled archive: the layout's
 * blobs are already in the store, verified against their names while spooling; here each one a
 * manifest names must also have the descriptor's size. The rest is the OCI layout load.
 */
import { parseImageIndex, type ManifestDescriptor } from '../../core/manifest.ts';
import { parseDigest } from '../../core/digest.ts';
import { ShaleError } from '../../core/errors.ts';
import type { ImageWrite } from '../../store/index.ts';
import type { SpooledArchive } from '../load/spool.ts';
import type { StagedImage } from '../load/staged.ts';
import { stageOciImages, type BlobSource, type LoadOptions } from '../oci-layout/index.ts';

export const INDEX_JSON = 'index.json';

class SpooledBlobs implements BlobSource {
  constructor(private readonly archive: SpooledArchive) {}

  async copy(descriptor: ManifestDescriptor): Promise<void> {
    const { algorithm, hex } = parseDigest(descriptor.digest);
    const file = await this.archive.take(`blobs/${algorithm}/${hex}`, `a descriptor`);
    if (file.digest !== descriptor.digest) {
      throw new ShaleError(
        'ERR_DIGEST_MISMATCH',
        `archive blob ${descriptor.digest} hashes to ${file.digest}`,
      );
    }
    if (file.size !== descriptor.size) {
      throw new ShaleError(
        'ERR_SIZE_MISMATCH',
        `archive blob ${descriptor.digest} is ${file.size} bytes, its descriptor says ${descriptor.size}`,
      );
    }
  }
}

export async function stageOciArchive(
  write: ImageWrite,
  archive: SpooledArchive,
  options: LoadOptions = {},
): Promise<StagedImage[]> {
  const index = await archive.read(INDEX_JSON, 'the archive');
  const { manifests } = parseImageIndex(index, INDEX_JSON);
  return stageOciImages(write, new SpooledBlobs(archive), manifests, options);
}
