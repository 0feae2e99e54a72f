/**
 * `GET /events` (`since`, `until`, `filters`): the server's image events as a stream of JSON
 * objects, as dockerd streams them — the kept events from `since` (up to `until`) first, then each
 * new one as it happens, until `until` passes, the client goes away or the server stops. With an
 * `until` already past, only the kept events are sent.
 */
import { eventFilter } from '../event-filter.ts';
import { eventJson, pastImageEvents, subscribeImageEvents } from '../events.ts';
import { HttpError } from '../errors.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';
import { filterPairs } from './filters.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A `seconds[.fraction]` Unix time (what the docker CLI sends) in nanoseconds; '' is none. */
function unixNanos(name: string, text: string | null): bigint | undefined {
  if (!text) return undefined;
  const match = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!match)
    throw new HttpError(400, `invalid value for '${name}': ${text} is not a Unix timestamp`);
  const nanos = BigInt((match[2] ?? '').padEnd(9, '0'));
  return BigInt(match[1]!) * 1_000_000_000n + (match[1]!.startsWith('-') ? -nanos : nanos);
}

async function events(request: ApiRequest): Promise<void> {
  const since = unixNanos('since', request.query.get('since'));
  const until = unixNanos('until', request.query.get('until'));
  if (since !== undefined && until !== undefined && until < since)
    throw new HttpError(
      400,
      `\`since\` time (${request.query.get('since')}) cannot be after \`until\` time (${request.query.get('until')})`,
    );
  const include = eventFilter(filterPairs(request.query.get('filters')));
  const { res, signal, stopping } = request;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  const past =
    since === undefined && until === undefined
      ? []
      : pastImageEvents().filter(
          (e) => e.timeNano >= (since ?? 0n) && (until === undefined || e.timeNano <= until),
        );
  for (const event of past) if (include(event)) res.write(`${eventJson(event)}\n`);
  const nowNanos = BigInt(Date.now()) * 1_000_000n;
  if (until !== undefined && until < nowNanos) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const unsubscribe = subscribeImageEvents((event) => {
      if (include(event)) res.write(`${eventJson(event)}\n`);
    });
    const finish = () => {
      unsubscribe();
      clearTimeout(timer);
      resolve();
    };
    const wait = until === undefined ? Infinity : Number((until - nowNanos) / 1_000_000n);
    // beyond what a timer holds (24.8 days) the stream simply runs on
    const timer = wait < MAX_TIMER_MS ? setTimeout(finish, wait) : undefined;
    const ended = AbortSignal.any([signal, stopping]);
    if (ended.aborted) finish();
    else ended.addEventListener('abort', finish, { once: true });
  });
  res.end();
}

export function eventRoutes(router: Router): void {
  router.add('GET', /^\/events$/, events);
}
