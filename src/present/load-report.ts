/**
 * Docker's report of a load: `Loaded image: REF` for each tag, or when no image came with one,
 * `Loaded image ID: sha256:…` for each image (the CLI prints these lines; `shale serve` streams
 * them as dockerd does).
 */
import { familiarString, parseDockerRef } from '../core/index.ts';

export function loadReport(images: readonly { id: string; references: string[] }[]): string[] {
  const tags = images.flatMap((image) =>
    image.references.map((ref) => `Loaded image: ${familiarString(parseDockerRef(ref))}`),
  );
  return tags.length > 0 ? tags : images.map((image) => `Loaded image ID: ${image.id}`);
}
