/**
 * Which images a listing shows, as the Docker daemon decides it (moby 20.10
 * `daemon/images/images.go`): untagged images that are another image's parent (intermediate
 * build steps) only with `all`; the filters `dangling=true|false`, `reference=<glob>` (Go
 * `path.Match` on the familiar reference or name; only matching references are shown, and an image
 * left with none is dropped), `label=<key>` or `label=<key>=<value>` (every one must hold),
 * `before=<image>` / `since=<image>` (created strictly before / after that image).
 */
import { ShaleError } from '../core/errors.ts';
import { familiarMatch, parseNormalizedNamed } from '../core/reference.ts';
import type { ImageInspect } from './describe.ts';

export interface ImageFilters {
  /** true: only untagged images that are nobody's parent; false: only images with references. */
  dangling?: boolean;
  /** Globs; a reference is shown when any matches. */
  reference?: string[];
  /** `key` or `key=value`; all must match the image's config labels. */
  label?: string[];
  /** Images (reference or ID) the listed ones must be created before / after. */
  before?: string[];
  since?: string[];
}

const FILTER_KEYS = ['dangling', 'reference', 'label', 'before', 'since'] as const;

function invalid(message: string): ShaleError {
  return new ShaleError('ERR_INVALID_ARGUMENT', message);
}

/** Filters from `key=value` pairs (docker's `--filter`), checked as the daemon checks them. */
export function parseImageFilters(pairs: Iterable<[string, string]>): ImageFilters {
  const filters: ImageFilters = {};
  const dangling: string[] = [];
  for (const [key, value] of pairs) {
    if (!(FILTER_KEYS as readonly string[]).includes(key))
      throw invalid(`invalid filter '${key}' (known: ${FILTER_KEYS.join(', ')})`);
    if (key === 'dangling') dangling.push(value);
    else (filters[key as Exclude<keyof ImageFilters, 'dangling'>] ??= []).push(value);
  }
  if (dangling.length > 0) {
    // as the daemon: any `true` wins, else every value must be `false`
    if (dangling.includes('true')) filters.dangling = true;
    else if (dangling.every((v) => v === 'false')) filters.dangling = false;
    else throw invalid(`invalid filter 'dangling=${dangling.join(',')}': use true or false`);
  }
  return filters;
}

/** Created time in nanoseconds from an RFC 3339 string (Go compares full precision). */
function createdNanos(iso: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(iso);
  const ms = Date.parse(match ? `${match[1]}${match[3]}` : iso);
  if (Number.isNaN(ms)) return -62135596800n * 1_000_000_000n; // Go's zero time
  const fraction = BigInt((match?.[2] ?? '').slice(0, 9).padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + fraction;
}

function matchesLabels(image: ImageInspect, wanted: string[]): boolean {
  const labels = (image.Config as { Labels?: Record<string, string> | null } | null)?.Labels;
  if (!labels || Object.keys(labels).length === 0) return false;
  return wanted.every((filter) => {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === filter.slice(eq + 1);
  });
}

function matchingReferences(references: string[], patterns: string[]): string[] {
  return references.filter((ref) => {
    const parsed = parseNormalizedNamed(ref);
    return patterns.some((pattern) => familiarMatch(pattern, parsed));
  });
}

export interface SelectOptions {
  /** Show untagged parents too (`docker images -a`). */
  all?: boolean;
  filters?: ImageFilters;
  /** Images named by `before`/`since`, already resolved by the caller (same order). */
  before?: ImageInspect[];
  since?: ImageInspect[];
}

/**
 * The images a listing shows, in the given order, with RepoTags/RepoDigests narrowed to the
 * references the `reference` filter matches. A malformed glob throws.
 */
export function selectImages(images: ImageInspect[], options: SelectOptions = {}): ImageInspect[] {
  const filters = options.filters ?? {};
  const parents = new Set(images.map((image) => image.Parent).filter((p) => p !== ''));
  const before = (options.before ?? []).map((b) => createdNanos(b.Created));
  const since = (options.since ?? []).map((s) => createdNanos(s.Created));
  const shown: ImageInspect[] = [];
  for (const image of images) {
    const isParent = parents.has(image.Id);
    if (filters.dangling === true && isParent) continue;
    const created = createdNanos(image.Created);
    if (before.some((limit) => created >= limit) || since.some((limit) => created <= limit))
      continue;
    if (filters.label && !matchesLabels(image, filters.label)) continue;
    let { RepoTags, RepoDigests } = image;
    if (filters.reference) {
      RepoTags = matchingReferences(RepoTags, filters.reference);
      RepoDigests = matchingReferences(RepoDigests, filters.reference);
    }
    if (RepoTags.length === 0 && RepoDigests.length === 0) {
      if (isParent && !options.all) continue;
      if (filters.dangling === false || filters.reference) continue;
    } else if (filters.dangling === true && RepoTags.length > 0) {
      continue;
    }
    shown.push({ ...image, RepoTags, RepoDigests });
  }
  return shown;
}
