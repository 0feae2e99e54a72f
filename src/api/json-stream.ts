/**
 * A streamed JSON answer as dockerd writes pull, push, import and load output: one JSON message
 * per line (`\r\n`-terminated), status 200 sent with the first message. A failure before that
 * is the caller's to answer as a normal `{"message": …}` error; after it, `fail` writes
 * `{"errorDetail":{"message":…},"error":…}` and ends the stream, which the docker CLI shows as
 * its error (and exits 1).
 */
import type { ServerResponse } from 'node:http';
import { describeFailure } from './errors.ts';

/** dockerd's JSON message fields, in the order its encoder writes them. */
export interface JsonMessage {
  stream?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  /** The rendered bar (deprecated in dockerd, still sent). */
  progress?: string;
  id?: string;
  errorDetail?: { message: string };
  error?: string;
  aux?: unknown;
}

export class JsonStream {
  constructor(private readonly res: ServerResponse) {}

  /** Whether status 200 and a first message have gone out. */
  get started(): boolean {
    return this.res.headersSent;
  }

  write(message: JsonMessage): void {
    if (this.res.destroyed) return;
    if (!this.started) this.res.writeHead(200, { 'content-type': 'application/json' });
    this.res.write(`${JSON.stringify(message)}\r\n`);
  }

  end(): void {
    if (!this.started) this.res.writeHead(200, { 'content-type': 'application/json' });
    this.res.end();
  }

  /**
   * End with `err`: as an error message in the stream once it started; before that, rethrown so
   * the server answers with its status.
   */
  fail(err: unknown): void {
    if (!this.started) throw err;
    const { message } = describeFailure(err);
    this.write({ errorDetail: { message }, error: message });
    this.res.end();
  }
}
