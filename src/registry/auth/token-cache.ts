/**
 * Bearer tokens cached per key (host, realm, service and the canonical scope set) until they
 * expire. Concurrent requests for the same key share one token request, and its failure.
 */
import type { BearerToken } from './token.ts';

export class TokenCache {
  readonly #entries = new Map<string, Promise<BearerToken>>();

  /** The cached token for `key`, or the one `fetch` obtains (shared by concurrent callers). */
  async get(key: string, fetch: () => Promise<BearerToken>): Promise<string> {
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      const token = await cached;
      if (token.expiresAt > Date.now()) return token.value;
      if (this.#entries.get(key) === cached) this.#entries.delete(key);
    }
    const entry = this.#entries.get(key) ?? this.#start(key, fetch);
    return (await entry).value;
  }

  /** Forgets the token for `key` (the registry refused it). */
  invalidate(key: string): void {
    this.#entries.delete(key);
  }

  #start(key: string, fetch: () => Promise<BearerToken>): Promise<BearerToken> {
    const entry = fetch();
    this.#entries.set(key, entry);
    void entry.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }
}
