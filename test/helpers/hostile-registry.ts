// A tiny loopback registry (node:http) whose misbehaviour each test scripts. It serves the
// distribution API's read side for the documents and blobs a test adds — `/v2/`, manifests by tag
// or digest (HEAD and GET, with Docker-Content-Digest), blobs with honest `Range` support (open or
// closed ranges) — and
// hands every request first to the test's `misbehave` hook, which may answer it any way it likes.
// It counts requests per kind and the bytes it wrote, so a test can prove a client's loops are
// bounded. `smallImage()` builds a real one-layer image (gzip'd tar, Docker schema2).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import zlib from 'node:zlib';
import { seededChunks } from './seeded-bytes.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

export type Algorithm = 'sha256' | 'sha512';

export function digestOf(bytes: Uint8Array, algorithm: Algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** What a request asks for, as the hook sees it. */
export interface Route {
  kind: 'base' | 'manifest' | 'blob' | 'other';
  /** The tag or digest (manifests), the digest (blobs). */
  reference: string;
  /** The bytes the honest registry would send, when it has them. */
  bytes?: Buffer;
}

/** Answers `req` itself and returns true, or returns false to let the honest registry answer. */
export type Misbehaviour = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: Route,
) => boolean;

export interface HostileRegistry {
  /** `127.0.0.1:PORT`: the registry host of references. */
  host: string;
  /** Every request seen: method, kind and path, in order. */
  requests: { method: string; kind: Route['kind']; path: string; range?: string }[];
  /** Requests of one kind (and method). */
  count(kind: Route['kind'], method?: string): number;
  /** Bytes written to clients on every connection (headers included). */
  bytesSent(): number;
  addBlob(bytes: Buffer, algorithm?: Algorithm): string;
  /** Serve `bytes` as a manifest under its digest and, when given, under `tag`. */
  addManifest(bytes: Buffer, mediaType: string, tag?: string, algorithm?: Algorithm): string;
  misbehave(hook: Misbehaviour | undefined): void;
  stop(): Promise<void>;
}

export async function startHostileRegistry(): Promise<HostileRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string; digest: string }>();
  const requests: HostileRegistry['requests'] = [];
  const sockets = new Set<Socket>();
  let sentOnClosed = 0;
  let hook: Misbehaviour | undefined;

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routeOf(path, blobs, manifests);
    requests.push({ method: req.method ?? '', kind: route.kind, path, range: req.headers.range });
    req.resume();
    if (hook?.(req, res, route)) return;
    answerHonestly(req, res, route, manifests);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sentOnClosed += socket.bytesWritten;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    count: (kind, method) =>
      requests.filter((r) => r.kind === kind && (method === undefined || r.method === method))
        .length,
    bytesSent: () => [...sockets].reduce((n, s) => n + s.bytesWritten, sentOnClosed),
    addBlob(bytes, algorithm = 'sha256') {
      const digest = digestOf(bytes, algorithm);
      blobs.set(digest, bytes);
      return digest;
    },
    addManifest(bytes, mediaType, tag, algorithm = 'sha256') {
      const digest = digestOf(bytes, algorithm);
      const entry = { bytes, mediaType, digest };
      manifests.set(digest, entry);
      if (tag !== undefined) manifests.set(tag, entry);
      return digest;
    },
    misbehave: (next) => void (hook = next),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function routeOf(
  path: string,
  blobs: Map<string, Buffer>,
  manifests: Map<string, { bytes: Buffer }>,
): Route {
  if (path === '/v2/' || path === '/v2') return { kind: 'base', reference: '' };
  const m = /^\/v2\/.+\/(manifests|blobs)\/([^/]+)$/.exec(path);
  if (!m) return { kind: 'other', reference: '' };
  const reference = decodeURIComponent(m[2]!);
  if (m[1] === 'blobs') return { kind: 'blob', reference, bytes: blobs.get(reference) };
  return { kind: 'manifest', reference, bytes: manifests.get(reference)?.bytes };
}

function answerHonestly(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: Route,
  manifests: Map<string, { bytes: Buffer; mediaType: string; digest: string }>,
): void {
  const head = req.method === 'HEAD';
  if (route.kind === 'base') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(head ? undefined : '{}');
    return;
  }
  if (route.bytes === undefined) {
    const body = JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'unknown' }] });
    res.writeHead(404, { 'content-type': 'application/json' }).end(head ? undefined : body);
    return;
  }
  if (route.kind === 'manifest') {
    const entry = manifests.get(route.reference)!;
    res.writeHead(200, {
      'content-type': entry.mediaType,
      'content-length': entry.bytes.length,
      'docker-content-digest': entry.digest,
    });
    res.end(head ? undefined : entry.bytes);
    return;
  }
  const bytes = route.bytes;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range?.[2] ? Math.min(Number(range[2]) + 1, bytes.length) : bytes.length;
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/octet-stream',
    'content-length': end - start,
  };
  if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${bytes.length}`;
  res.writeHead(range ? 206 : 200, headers);
  res.end(head ? undefined : bytes.subarray(start, end));
}

export const MEDIA = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface SmallImage {
  layer: Buffer;
  layerDigest: string;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
}

/**
 * A real one-layer image (a file of `bytes` incompressible bytes) added to `registry` under
 * `tag`. `edit` may change the manifest object before it is serialised (hostile manifests);
 * `algorithm` picks the digests of the blobs and of the manifest.
 */
export async function smallImage(
  registry: HostileRegistry,
  tag: string,
  options: {
    bytes?: number;
    algorithm?: Algorithm;
    config?: (config: Record<string, unknown>) => void;
    edit?: (manifest: {
      config: Record<string, unknown>;
      layers: Record<string, unknown>[];
    }) => void;
  } = {},
): Promise<SmallImage> {
  const algorithm = options.algorithm ?? 'sha256';
  const content = Buffer.concat([...seededChunks(options.bytes ?? 256 << 10, `hostile-${tag}`)]);
  const tar = await tarBytes([{ header: { name: 'data', mode: 0o644 }, body: content }]);
  const layer = zlib.gzipSync(tar);
  const layerDigest = registry.addBlob(layer, algorithm);
  const configObject: Record<string, unknown> = {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
    history: [{ created_by: `hostile ${tag}` }],
  };
  options.config?.(configObject);
  const config = Buffer.from(JSON.stringify(configObject));
  const configDigest = registry.addBlob(config, algorithm);
  const manifestObject = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, size: config.length, digest: configDigest },
    layers: [{ mediaType: MEDIA.layer, size: layer.length, digest: layerDigest }] as Record<
      string,
      unknown
    >[],
  };
  options.edit?.(manifestObject);
  const manifest = Buffer.from(JSON.stringify(manifestObject));
  const manifestDigest = registry.addManifest(manifest, MEDIA.manifest, tag, algorithm);
  return { layer, layerDigest, config, configDigest, manifest, manifestDigest };
}
