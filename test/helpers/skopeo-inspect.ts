/**
 * What skopeo, the peer, reads as an image's manifest (`skopeo inspect --raw`, TLS checks off for
 * the test registries): the bytes, and their sha256 digest.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The manifest bytes skopeo reads for `transportRef` (`docker://…`, `oci:…`, `oci-archive:…`, …). */
export async function skopeoRaw(transportRef: string): Promise<Buffer> {
  const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', transportRef], {
    encoding: 'buffer',
  });
  return stdout;
}

/** The sha256 digest of the manifest skopeo reads for `transportRef`. */
export async function rawDigest(transportRef: string): Promise<string> {
  return `sha256:${createHash('sha256')
    .update(await skopeoRaw(transportRef))
    .digest('hex')}`;
}
