/**
 * Which images `POST /images/prune` removes, read from its filters as dockerd reads them (moby
 * daemon/images/image_prune.go): `dangling=true|1` (the default: untagged images only) or
 * `dangling=false|0` (every unused image — and with no containers in shale, every image),
 * `until=<time>` (created before it), `label=<key>[=<value>]` (every one must hold) and
 * `label!=<key>[=<value>]` (not all of them may hold).
 */
import { ShaleError, parseDockerTimestamp, type ImageConfig } from '../core/index.ts';

export interface PruneSelection {
  /** Tagged images too (`docker image prune -a`). */
  tagged: boolean;
  /** Only images created before this (ms since the epoch). */
  until?: number;
  /** Whether an image's config passes the label filters. */
  where: (config: ImageConfig) => boolean;
}

const PRUNE_FILTER_KEYS = ['dangling', 'until', 'label', 'label!'];

function invalid(message: string): ShaleError {
  return new ShaleError('ERR_INVALID_ARGUMENT', message);
}

/** Go's filters.MatchKVList: no filters hold; else each `key[=value]` must be among the labels. */
function allLabelsHold(wanted: readonly string[], labels: Record<string, string>): boolean {
  if (wanted.length === 0) return true;
  if (Object.keys(labels).length === 0) return false;
  return wanted.every((filter) => {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    return Object.hasOwn(labels, key) && (eq < 0 || labels[key] === filter.slice(eq + 1));
  });
}

export function parsePruneFilters(pairs: Iterable<[string, string]>): PruneSelection {
  const values = new Map<string, string[]>();
  for (const [key, value] of pairs) {
    if (!PRUNE_FILTER_KEYS.includes(key)) throw invalid(`invalid filter '${key}'`);
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  const dangling = values.get('dangling') ?? [];
  const tagged = dangling.includes('false') || dangling.includes('0');
  if (dangling.length > 0 && !tagged && !dangling.includes('true') && !dangling.includes('1'))
    throw invalid(`invalid filter 'dangling=[${dangling.join(' ')}]'`);
  const untils = values.get('until') ?? [];
  if (untils.length > 1) throw invalid('more than one until filter specified');
  const until = untils[0] === undefined ? undefined : parseDockerTimestamp(untils[0]);
  const having = values.get('label') ?? [];
  const notHaving = values.get('label!') ?? [];
  const where = (config: ImageConfig): boolean => {
    // as dockerd: an image without a container config passes the label filters
    if (!config.config) return true;
    const labels = (config.config as { Labels?: Record<string, string> | null }).Labels ?? {};
    if (!allLabelsHold(having, labels)) return false;
    return notHaving.length === 0 || !allLabelsHold(notHaving, labels);
  };
  return { tagged, until, where };
}
