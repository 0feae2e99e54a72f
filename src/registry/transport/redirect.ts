/**
 * Redirect rules for registry traffic (blob GETs are sent to storage, often on another origin):
 * which statuses redirect, where to, which method follows, and which headers survive. The
 * `Authorization` header never leaves the origin it was meant for; `Range` always follows.
 */
import { ShaleError } from '../../core/errors.ts';

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface RedirectStep {
  readonly url: URL;
  readonly method: string;
  readonly headers: Record<string, string>;
  /** False when the body must not be sent again (303, or a POST turned into a GET). */
  readonly keepBody: boolean;
}

/** The next request after a redirect answer from `from`. */
export function redirectStep(
  from: URL,
  status: number,
  location: string | undefined,
  method: string,
  headers: Readonly<Record<string, string>>,
): RedirectStep {
  if (location === undefined) {
    throw new ShaleError('ERR_REGISTRY', `${from.host} answered ${status} without a Location`);
  }
  const url = new URL(location, from);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ShaleError('ERR_REGISTRY', `${from.host} redirected to a non-HTTP URL`);
  }
  const toGet = status === 303 ? method !== 'HEAD' : status <= 302 && method === 'POST';
  const next: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' && url.origin !== from.origin) continue;
    if (toGet && (lower === 'content-type' || lower === 'content-length')) continue;
    next[name] = value;
  }
  return { url, method: toGet ? 'GET' : method, headers: next, keepBody: !toGet };
}
