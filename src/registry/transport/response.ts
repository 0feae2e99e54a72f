/**
 * A streamed HTTP response: status, the URL that answered (after redirects), case-insensitive
 * header access that keeps repeated headers apart, and the body as a Node stream.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

type UndiciBody = Dispatcher.ResponseData['body'];

export class HttpResponse {
  readonly status: number;
  /** The URL that produced this response, after any redirects. */
  readonly url: URL;
  /** Raw headers, names lower-cased; a repeated header is an array. */
  readonly headers: Readonly<IncomingHttpHeaders>;
  readonly #body: UndiciBody;

  constructor(status: number, url: URL, headers: IncomingHttpHeaders, body: UndiciBody) {
    this.status = status;
    this.url = url;
    this.headers = headers;
    this.#body = body;
  }

  /** The body, streamed. Read it, or call `discard()`, so the connection can be reused. */
  get body(): Readable {
    return this.#body;
  }

  /** True for 2xx. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The first value of a header, or `undefined`. */
  header(name: string): string | undefined {
    return this.headerValues(name)[0];
  }

  /** Every value of a header, in the order received. */
  headerValues(name: string): string[] {
    const value = this.headers[name.toLowerCase()];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [value];
  }

  /** Drops the (small) body so the connection goes back to the pool. */
  async discard(): Promise<void> {
    try {
      await this.#body.dump();
    } catch {
      // The connection is already gone; nothing left to release.
    }
  }
}
