/**
 * Which reference an OCI layout's index entry gives its image (DESIGN.md): `io.containerd.image.name`
 * when present, else `org.opencontainers.image.ref.name` when it contains `/`, `:` or `@`; a bare
 * word (`latest`) is a tag without a repository, applied only when `--name REPO` gives one.
 */
import { Annotations } from '../../core/media-types.ts';
import { parseDockerRef, type NamedReference } from '../../core/reference.ts';

export function referenceForEntry(
  annotations: Record<string, string> | undefined,
  repo?: string,
): NamedReference | undefined {
  const containerd = annotations?.[Annotations.containerdName];
  if (containerd) return parseDockerRef(containerd);
  const refName = annotations?.[Annotations.refName];
  if (!refName) return undefined;
  if (/[/:@]/.test(refName)) return parseDockerRef(refName);
  return repo === undefined ? undefined : parseDockerRef(`${repo}:${refName}`);
}
