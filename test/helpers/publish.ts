/**
 * Publishing test images to a registry with skopeo (the peer), as Docker schema2 and as OCI, from
 * an OCI layout the project's generators built; and reading what the registry then serves.
 * Asynchronous, so that servers running in the test process (a token server) keep answering.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type PublishFormat = 'v2s1' | 'v2s2' | 'oci';

/** `skopeo copy oci:LAYOUT:TAG docker://HOST/REPO:DEST_TAG` in the given manifest format. */
export async function publish(
  layout: string,
  tag: string,
  destination: string,
  format: PublishFormat,
  creds?: string,
): Promise<void> {
  await run('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    '--format',
    format,
    ...(creds !== undefined ? ['--dest-creds', creds] : []),
    `oci:${layout}:${tag}`,
    `docker://${destination}`,
  ]);
}

/** The manifest digest a registry serves for a reference (`skopeo inspect`). */
export async function remoteDigest(reference: string, creds?: string): Promise<string> {
  const { stdout } = await run('skopeo', [
    'inspect',
    '--tls-verify=false',
    ...(creds !== undefined ? ['--creds', creds] : []),
    `docker://${reference}`,
  ]);
  return (JSON.parse(stdout) as { Digest: string }).Digest;
}
