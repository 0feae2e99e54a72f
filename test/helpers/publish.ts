/**
 * Publishing test images to a registry with skopeo (the peer), as Docker schema2 and as OCI, from
 * an OCI layout the project's generators built; and reading what the registry then serves.
 */
import { execFileSync } from 'node:child_process';

export type PublishFormat = 'v2s2' | 'oci';

/** `skopeo copy oci:LAYOUT:TAG docker://HOST/REPO:DEST_TAG` in the given manifest format. */
export function publish(
  layout: string,
  tag: string,
  destination: string,
  format: PublishFormat,
  creds?: string,
): void {
  execFileSync(
    'skopeo',
    [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      '--format',
      format,
      ...(creds !== undefined ? ['--dest-creds', creds] : []),
      `oci:${layout}:${tag}`,
      `docker://${destination}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** The manifest digest a registry serves for a reference (`skopeo inspect`). */
export function remoteDigest(reference: string, creds?: string): string {
  const out = execFileSync(
    'skopeo',
    [
      'inspect',
      '--tls-verify=false',
      ...(creds !== undefined ? ['--creds', creds] : []),
      `docker://${reference}`,
    ],
    { encoding: 'utf8' },
  );
  return (JSON.parse(out) as { Digest: string }).Digest;
}
