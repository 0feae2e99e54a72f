/**
 * The endpoints `copy` takes, written as skopeo writes them: `docker://HOST/REPO[:TAG|@DIGEST]`
 * (Docker's reference grammar: `docker://alpine` is docker.io/library/alpine:latest),
 * `oci:DIR[:REF]`, `oci-archive:PATH[:REF]` and `docker-archive:PATH[:REF]` (DIR or PATH up to
 * the first `:`), and the store, `store:REF` (as a source a reference or image ID, as a
 * destination a reference). `copyImage` opens both and transfers; an archive it writes appears
 * only when complete, and a failed copy leaves none (nor anything in the store).
 */
import { ShaleError } from '../../core/errors.ts';
import { MediaTypes } from '../../core/media-types.ts';
import { parseDockerRef, type NamedReference } from '../../core/reference.ts';
import {
  DEFAULT_CHUNK_SIZE,
  RegistrySink,
  RegistrySource,
  StoreSource,
  transferImage,
  type ImageSink,
  type ImageSource,
  type RegistryClient,
  type TransferOptions,
  type TransferResult,
} from '../../registry/index.ts';
import type { Store, UploadSessions } from '../../store/index.ts';
import { ArchiveOutput } from './archive-output.ts';
import { DockerArchiveSink } from './docker-archive-sink.ts';
import { DockerArchiveSource } from './docker-archive-source.ts';
import { LayoutSink, LayoutSource } from './layout-endpoints.ts';
import { OciArchiveSink, OciArchiveSource } from './oci-archive-endpoints.ts';
import { copyIntoStore } from './store-sink.ts';

/** The transports that name a path and, after its first `:`, an image in it. */
const PATH_TRANSPORTS = ['oci', 'oci-archive', 'docker-archive'] as const;
type PathTransport = (typeof PATH_TRANSPORTS)[number];

export type CopyEndpoint =
  | { transport: 'docker'; reference: NamedReference }
  | { transport: PathTransport; path: string; ref?: string }
  | { transport: 'store'; reference: string };

const USAGE =
  'docker://REFERENCE, oci:DIR[:REF], oci-archive:PATH[:REF], docker-archive:PATH[:REF] or store:REF';

export function parseCopyEndpoint(text: string): CopyEndpoint {
  if (text.startsWith('docker://')) {
    return { transport: 'docker', reference: parseDockerRef(text.slice('docker://'.length)) };
  }
  if (text.startsWith('store:')) {
    const reference = text.slice('store:'.length);
    if (reference === '') throw new ShaleError('ERR_INVALID_ARGUMENT', `${text} is not store:REF`);
    return { transport: 'store', reference };
  }
  const transport = PATH_TRANSPORTS.find((t) => text.startsWith(`${t}:`));
  if (transport === undefined) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `${JSON.stringify(text)} is not ${USAGE}`);
  }
  const rest = text.slice(transport.length + 1);
  const colon = rest.indexOf(':');
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const ref = colon < 0 ? undefined : rest.slice(colon + 1);
  if (path === '' || ref === '') {
    const what = transport === 'oci' ? 'DIR' : 'PATH';
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${text} is not ${transport}:${what} or ${transport}:${what}:REF`,
    );
  }
  return { transport, path, ...(ref !== undefined && { ref }) };
}

/** The registry host an endpoint talks to, if any (for the client's TLS and insecure settings). */
export function endpointRegistry(endpoint: CopyEndpoint): string | undefined {
  return endpoint.transport === 'docker' ? endpoint.reference.domain : undefined;
}

export interface CopyOptions extends TransferOptions {
  /** The client for `docker://` endpoints. */
  client?: RegistryClient;
  /** The store a `store:` endpoint reads or writes. */
  store?: Store;
  /** A mirror of a `docker://` source skipped, and why (default: none reported). */
  onWarning?: (message: string) => void;
  /**
   * Where chunked uploads to a registry keep their sessions (default: the store's, when `store`
   * is given); without either, every blob goes up in one request.
   */
  uploadSessions?: UploadSessions;
  /**
   * With sessions to keep, blobs larger than this go up to a registry in resumable chunks of this
   * size (default DEFAULT_CHUNK_SIZE; 0: every blob in one request).
   */
  chunkSize?: number;
}

function needStore(store: Store | undefined): Store {
  if (store === undefined)
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'a copy from or to the store needs the store');
  return store;
}

function needClient(client: RegistryClient | undefined): RegistryClient {
  if (client === undefined) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', 'a copy from or to a registry needs a client');
  }
  return client;
}

function openSource(endpoint: CopyEndpoint, options: CopyOptions): ImageSource {
  switch (endpoint.transport) {
    case 'docker':
      return new RegistrySource(needClient(options.client), endpoint.reference, options.onWarning);
    case 'store':
      return new StoreSource(needStore(options.store), endpoint.reference);
    case 'oci':
      return new LayoutSource(endpoint.path, endpoint.ref);
    case 'oci-archive':
      return new OciArchiveSource(endpoint.path, endpoint.ref);
    case 'docker-archive':
      return new DockerArchiveSource(endpoint.path, endpoint.ref);
  }
}

/** The tag a docker-archive is written with (`RepoTags`): a name, not a digest or `@N`. */
function archiveTag(ref: string | undefined): NamedReference | undefined {
  if (ref === undefined) return undefined;
  const reference = ref.startsWith('@') ? undefined : parseDockerRef(ref);
  if (reference === undefined || reference.digest !== undefined) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `docker-archive:PATH:${ref}: a docker-archive is written with a tag (NAME[:TAG]), not a digest or index`,
    );
  }
  return reference;
}

/** The sink, and the archive file it writes (discarded when the copy fails). */
async function openSink(
  endpoint: Exclude<CopyEndpoint, { transport: 'store' }>,
  options: CopyOptions,
): Promise<{ sink: ImageSink; output?: ArchiveOutput }> {
  switch (endpoint.transport) {
    case 'docker': {
      // With a store to keep sessions in, large blobs of a source that reads ranges (the store,
      // a registry, a layout) go up in chunks resumable as a push's are.
      const sessions = options.uploadSessions ?? options.store?.uploads;
      const upload = sessions && { chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE, sessions };
      const sink = new RegistrySink(needClient(options.client), endpoint.reference, upload);
      return { sink };
    }
    case 'oci':
      return { sink: new LayoutSink(endpoint.path, endpoint.ref) };
    case 'oci-archive': {
      const output = await ArchiveOutput.check(endpoint.path);
      return { sink: new OciArchiveSink(output, endpoint.ref), output };
    }
    case 'docker-archive': {
      const tag = archiveTag(endpoint.ref);
      const output = await ArchiveOutput.check(endpoint.path);
      return { sink: new DockerArchiveSink(output, tag), output };
    }
  }
}

/** Copy the image `source` names to `destination` (endpoints as parseCopyEndpoint reads them). */
export async function copyImage(
  source: string,
  destination: string,
  options: CopyOptions = {},
): Promise<TransferResult> {
  const from = openSource(parseCopyEndpoint(source), options);
  const to = parseCopyEndpoint(destination);
  if (to.transport === 'store')
    return copyIntoStore(from, needStore(options.store), to.reference, options);
  const { sink, output } = await openSink(to, options);
  let result: TransferResult;
  try {
    result = await transferImage(from, sink, options);
  } catch (err) {
    await output?.discard();
    throw err;
  }
  const written = sink instanceof DockerArchiveSink ? sink.writtenManifest : undefined;
  if (written === undefined) return result;
  return {
    ...result,
    digest: written.digest,
    size: written.size,
    mediaType: MediaTypes.dockerManifest,
    summary: `${result.summary}, as a docker-archive: its layers are uncompressed, so its manifest is ${written.digest}; the config ${written.config} (the image ID) is the source's`,
  };
}
