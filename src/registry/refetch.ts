/**
 * Fetching again a blob the store lost (`fsck --repair`): from each repository that should hold
 * it, in turn, until one serves it — each through its mirrors first, as a pull reads it
 * (pull/endpoints.ts: a mirror that fails or serves other bytes is skipped with a warning).
 * Layers and configs come as blobs (the pull's resumable, verified download, then committed);
 * manifests by digest, checked against it as they are stored. One client per registry host, made
 * by the caller with that host's auth, TLS and mirror options.
 */
import { ShaleError } from '../core/errors.ts';
import { parseNormalizedNamed } from '../core/reference.ts';
import type { Store, WantedBlob } from '../store/index.ts';
import type { RegistryClient } from './client.ts';
import { downloadBlob } from './pull/download.ts';
import { PullEndpoints } from './pull/endpoints.ts';
import type { RemoteRepository } from './repository.ts';

export class Refetcher {
  private readonly clients = new Map<string, RegistryClient>();
  /** Each source's endpoints, kept so that a mirror found unreachable is not asked again. */
  private readonly sources = new Map<string, PullEndpoints>();

  constructor(
    private readonly store: Store,
    private readonly clientFor: (host: string) => RegistryClient,
    /** A mirror skipped, and why (default: none reported). */
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {}

  /** Store `want` from the first of its sources that serves it; resolves to that source. */
  readonly fetch = async (want: WantedBlob, signal?: AbortSignal): Promise<string> => {
    const failures: string[] = [];
    for (const source of want.sources) {
      try {
        await this.endpoints(source).first(
          `blob ${want.digest}`,
          (repo, afterFailure) => this.fetchFrom(repo, want, afterFailure, signal),
          signal,
        );
        return source;
      } catch (err) {
        signal?.throwIfAborted();
        failures.push(`${source}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new ShaleError('ERR_NOT_FOUND', failures.join('; '));
  };

  /** The repository `source` names, behind its mirrors. */
  private endpoints(source: string): PullEndpoints {
    let endpoints = this.sources.get(source);
    if (endpoints) return endpoints;
    const named = parseNormalizedNamed(source);
    let client = this.clients.get(named.domain);
    if (!client) {
      client = this.clientFor(named.domain);
      this.clients.set(named.domain, client);
    }
    endpoints = new PullEndpoints(client, named, this.onWarning);
    this.sources.set(source, endpoints);
    return endpoints;
  }

  /** `afterFailure`: an endpoint before this one failed, so a partial it left starts over. */
  private async fetchFrom(
    repo: RemoteRepository,
    want: WantedBlob,
    afterFailure: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const { digest } = want;
    if (want.manifest) {
      const { bytes } = await repo.getManifest(digest, signal);
      await this.store.content.put(bytes, { digest, size: want.size ?? bytes.length });
      return;
    }
    const size = want.size ?? (await repo.blobSize(digest, signal));
    const downloaded = await downloadBlob(
      this.store,
      repo,
      { digest, size },
      { signal, startOver: afterFailure },
    );
    if (!downloaded) return; // another process stored it meanwhile
    try {
      await downloaded.partial.commit();
    } finally {
      await downloaded.partial.close();
    }
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) await client.close();
  }
}
