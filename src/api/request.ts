/**
 * One API request as a route sees it: the path parameters, the query, the API version the client
 * asked for, the store, and helpers to read a bounded JSON body and to answer with JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/index.ts';
import { HttpError } from './errors.ts';

/** The most a JSON request body may hold (tag, auth and filter bodies are tiny). */
const MAX_JSON_BODY = 1 << 20;

export class ApiRequest {
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly store: Store,
    /** Parts of the path the route's pattern captured, decoded. */
    readonly params: readonly string[],
    readonly query: URLSearchParams,
    /** The version in the path (`/v1.41/…`), else the newest this server speaks. */
    readonly version: string,
    /** Aborted when the client goes away or the server stops. */
    readonly signal: AbortSignal,
    /**
     * Aborted as soon as the server begins to stop: a stream that only waits for news (`/events`)
     * ends then rather than holding the shutdown for its grace period.
     */
    readonly stopping: AbortSignal,
  ) {}

  /** A query flag as dockerd reads one: `1`, `true` (any case) are true. */
  flag(name: string): boolean {
    const value = this.query.get(name)?.toLowerCase();
    return value === '1' || value === 'true';
  }

  /** Answer with `value` as JSON. */
  json(status: number, value: unknown): void {
    const body = JSON.stringify(value);
    this.res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    this.res.end(body);
  }

  /** Answer with no body. */
  empty(status: number): void {
    this.res.writeHead(status);
    this.res.end();
  }

  /** The request body parsed as JSON; an empty body is undefined; too long or not JSON is a 400. */
  async readJson(): Promise<unknown> {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > MAX_JSON_BODY)
        throw new HttpError(400, `request body is larger than ${MAX_JSON_BODY} bytes`);
      chunks.push(chunk);
    }
    if (length === 0) return undefined;
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch (err) {
      throw new HttpError(400, `request body is not JSON: ${(err as Error).message}`);
    }
  }
}
