/**
 * Docker's report of a load: `Loaded image: REF` for each tag, then, when the last image loaded
 * came without one, `Loaded image ID: sha256:…` for every image (dockerd 20.10's rule,
 * image/tarexport/load.go; the CLI prints these lines; `shale serve` streams them as dockerd does).
 */
import { familiarString, parseDockerRef } from '../core/index.ts';

export function loadReport(images: readonly { id: string; references: string[] }[]): string[] {
  const tags = images.flatMap((image) =>
    image.references.map((ref) => `Loaded image: ${familiarString(parseDockerRef(ref))}`),
  );
  const untaggedLast = (images.at(-1)?.references.length ?? 0) === 0;
  const ids = untaggedLast ? images.map((image) => `Loaded image ID: ${image.id}`) : [];
  return [...tags, ...ids];
}
