/**
 * The endpoints `copy` takes, written as skopeo writes them: `docker://HOST/REPO[:TAG|@DIGEST]`
 * (Docker's reference grammar: `docker://alpine` is docker.io/library/alpine:latest) and
 * `oci:DIR[:REF]` (DIR up to the first `:`). `copyImage` opens both and transfers.
 */
import { ShaleError } from '../../core/errors.ts';
import { parseDockerRef, type NamedReference } from '../../core/reference.ts';
import type { RegistryClient } from '../../registry/index.ts';
import { transferImage, type TransferOptions, type TransferResult } from './copy.ts';
import { LayoutSink, LayoutSource } from './layout-endpoints.ts';
import { RegistrySink, RegistrySource } from './registry-endpoints.ts';
import type { ImageSink, ImageSource } from './seam.ts';

export type CopyEndpoint =
  | { transport: 'docker'; reference: NamedReference }
  | { transport: 'oci'; dir: string; ref?: string };

export function parseCopyEndpoint(text: string): CopyEndpoint {
  if (text.startsWith('docker://')) {
    return { transport: 'docker', reference: parseDockerRef(text.slice('docker://'.length)) };
  }
  if (text.startsWith('oci:')) {
    const rest = text.slice('oci:'.length);
    const colon = rest.indexOf(':');
    const dir = colon < 0 ? rest : rest.slice(0, colon);
    const ref = colon < 0 ? undefined : rest.slice(colon + 1);
    if (dir === '' || ref === '') {
      throw new ShaleError('ERR_INVALID_ARGUMENT', `${text} is not oci:DIR or oci:DIR:REF`);
    }
    return { transport: 'oci', dir, ...(ref !== undefined && { ref }) };
  }
  throw new ShaleError(
    'ERR_INVALID_ARGUMENT',
    `${JSON.stringify(text)} is not docker://REFERENCE or oci:DIR[:REF] (copy reads and writes only these so far)`,
  );
}

/** The registry host an endpoint talks to, if any (for the client's TLS and insecure settings). */
export function endpointRegistry(endpoint: CopyEndpoint): string | undefined {
  return endpoint.transport === 'docker' ? endpoint.reference.domain : undefined;
}

export interface CopyOptions extends TransferOptions {
  /** The client for `docker://` endpoints. */
  client?: RegistryClient;
}

function needClient(client: RegistryClient | undefined): RegistryClient {
  if (client === undefined) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'a copy from or to a registry needs a client');
  }
  return client;
}

function openSource(endpoint: CopyEndpoint, client?: RegistryClient): ImageSource {
  return endpoint.transport === 'docker'
    ? new RegistrySource(needClient(client), endpoint.reference)
    : new LayoutSource(endpoint.dir, endpoint.ref);
}

function openSink(endpoint: CopyEndpoint, client?: RegistryClient): ImageSink {
  return endpoint.transport === 'docker'
    ? new RegistrySink(needClient(client), endpoint.reference)
    : new LayoutSink(endpoint.dir, endpoint.ref);
}

/** Copy the image `source` names to `destination` (endpoints as parseCopyEndpoint reads them). */
export async function copyImage(
  source: string,
  destination: string,
  options: CopyOptions = {},
): Promise<TransferResult> {
  const from = openSource(parseCopyEndpoint(source), options.client);
  const to = openSink(parseCopyEndpoint(destination), options.client);
  return transferImage(from, to, options);
}
