/**
 * Bodies: what a request may send (bytes, a one-shot stream, or a factory that opens a fresh
 * stream for every attempt) and how small response bodies are read with a byte cap. Blobs are
 * never read through here; they stay streams.
 */
import { Readable } from 'node:stream';
import { ShaleError } from '../../core/errors.ts';

/**
 * A request body. Bytes and factories can be sent again (retries, redirects, a 401 answered with
 * a fresh token); a `Readable` is sent once, so a request carrying one is never repeated.
 */
export type RequestBody = string | Uint8Array | Readable | (() => Readable);

/** True when the body can be sent more than once. */
export function isReplayable(body: RequestBody | undefined): boolean {
  return !(body instanceof Readable);
}

/** The body to hand to one attempt: a factory is called, anything else used as it is. */
export function bodyForAttempt(body: RequestBody): string | Uint8Array | Readable {
  return typeof body === 'function' ? body() : body;
}

/** Default cap for JSON documents (manifests, indexes, error bodies, tokens). */
export const DEFAULT_JSON_LIMIT = 4 << 20;

/** Reads a whole body, failing with ERR_LIMIT (and destroying the stream) past `maxBytes`. */
export async function readBodyBytes(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new ShaleError('ERR_LIMIT', `response body exceeds the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Reads and parses a JSON body of at most `maxBytes`; ERR_REGISTRY when it is not JSON. */
export async function readJsonBody(
  body: Readable,
  maxBytes: number = DEFAULT_JSON_LIMIT,
): Promise<unknown> {
  const bytes = await readBodyBytes(body, maxBytes);
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new ShaleError('ERR_REGISTRY', `expected a JSON body, got ${bytes.length} other bytes`);
  }
}
