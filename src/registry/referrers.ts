/**
 * The artifacts that refer to a manifest (signatures, SBOMs, attestations: manifests whose
 * `subject` names it), as the OCI distribution spec v1.1 lists them: the referrers API
 * (`GET /v2/<name>/referrers/<digest>`, an image index paged by `Link` headers), or, on a registry
 * without it (one that answers 404, as Distribution 2.8 does), the referrers tag schema: the index
 * kept under the tag `<alg>-<hex>` of the subject's digest. Bounded in pages, bytes and entries.
 */
import { isDigest, parseDigest, type Digest } from '../core/digest.ts';
import { isShaleError, ShaleError } from '../core/errors.ts';
import { MediaTypes } from '../core/media-types.ts';
import type { NamedReference } from '../core/reference.ts';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { RemoteRepository } from './repository.ts';
import { nextPage } from './tags.ts';

/** A referrer, as a referrers index lists it (fields shale does not know are kept). */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface ListReferrersOptions {
  /** Only the referrers of this artifact type. */
  artifactType?: string;
  /** Pages of the referrers API followed at most; default 16. More is an error, not a cut. */
  maxPages?: number;
  /** Bytes of one page at most; default 4 MiB. */
  maxPageBytes?: number;
  /** Referrers in all at most; default 10,000. */
  maxReferrers?: number;
  signal?: AbortSignal;
}

export interface Referrers {
  /** The manifest (or index) digest the reference named: the subject the list is about. */
  subject: Digest;
  /** Where the list came from: the registry's referrers API, or the referrers tag schema. */
  source: 'api' | 'tag-schema';
  referrers: ReferrerDescriptor[];
}

/** A referrers index kept under the tag schema: the whole document, and its descriptors. */
export interface ReferrersTagIndex {
  index: Record<string, unknown>;
  manifests: ReferrerDescriptor[];
}

const DEFAULT_MAX_PAGES = 16;
const DEFAULT_MAX_PAGE_BYTES = 4 << 20;
const DEFAULT_MAX_REFERRERS = 10_000;

/** The referrers tag schema's tag for `subject`: `<alg>-<hex>`, cut to 32 and 64 characters. */
export function referrersTag(subject: Digest): string {
  const { algorithm, hex } = parseDigest(subject);
  return `${algorithm.slice(0, 32)}-${hex.slice(0, 64)}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A descriptor checked field by field (`what` names it in errors), kept as given. */
export function asReferrerDescriptor(value: unknown, what: string): ReferrerDescriptor {
  const bad = (why: string) => new ShaleError('ERR_REGISTRY', `${what} ${why}`);
  if (!isObject(value)) throw bad('is not an object');
  const { mediaType, digest, size, artifactType, annotations } = value;
  if (typeof mediaType !== 'string') throw bad('has no mediaType');
  if (typeof digest !== 'string' || !isDigest(digest)) throw bad('has no valid digest');
  if (!Number.isSafeInteger(size) || (size as number) < 0) throw bad('has no valid size');
  if (artifactType !== undefined && typeof artifactType !== 'string')
    throw bad('has an artifactType that is not a string');
  if (
    annotations !== undefined &&
    !(isObject(annotations) && Object.values(annotations).every((v) => typeof v === 'string'))
  )
    throw bad('has annotations that are not a map of strings');
  return value as ReferrerDescriptor;
}

/** The document and descriptors of a referrers index (an OCI image index); `what` names it. */
function parseReferrersIndex(bytes: Buffer, what: string): ReferrersTagIndex {
  let index: unknown;
  try {
    index = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ShaleError('ERR_REGISTRY', `${what} is not JSON`);
  }
  if (!isObject(index) || !Array.isArray(index.manifests))
    throw new ShaleError('ERR_REGISTRY', `${what} is not an image index (no manifests list)`);
  if (index.mediaType !== undefined && index.mediaType !== MediaTypes.ociIndex)
    throw new ShaleError(
      'ERR_REGISTRY',
      `${what} has mediaType ${JSON.stringify(index.mediaType)}, not an OCI image index`,
    );
  const manifests = index.manifests.map((entry, i) =>
    asReferrerDescriptor(entry, `${what}: entry ${i}`),
  );
  return { index, manifests };
}

/** An `ERR_LIMIT` from reading `what`'s body, said about `what`; other errors as they are. */
function tooLarge(err: unknown, what: string): unknown {
  if (!isShaleError(err, 'ERR_LIMIT')) return err;
  return new ShaleError('ERR_LIMIT', `${what} is too large (${err.message}); refusing it`);
}

/**
 * The referrers index under the tag schema's tag for `subject`, or undefined when there is none.
 * A manifest under that tag that is not an index of descriptors is an error.
 */
export async function readReferrersTag(
  repo: RemoteRepository,
  subject: Digest,
  signal?: AbortSignal,
): Promise<ReferrersTagIndex | undefined> {
  const tag = referrersTag(subject);
  const what = `the referrers index ${repo.displayName}:${tag}`;
  let bytes: Buffer;
  try {
    ({ bytes } = await repo.getManifest(tag, signal));
  } catch (err) {
    if (err instanceof RegistryError && err.status === 404) return undefined;
    throw tooLarge(err, what);
  }
  return parseReferrersIndex(bytes, what);
}

/** The referrers API's answer, every page; undefined when the registry has no such API. */
async function referrersFromApi(
  repo: RemoteRepository,
  subject: Digest,
  options: ListReferrersOptions,
): Promise<ReferrerDescriptor[] | undefined> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const maxPageBytes = options.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES;
  const maxReferrers = options.maxReferrers ?? DEFAULT_MAX_REFERRERS;
  const query =
    options.artifactType === undefined
      ? ''
      : `?artifactType=${encodeURIComponent(options.artifactType)}`;
  let page: { path: string } | { url: string } = { path: `referrers/${subject}${query}` };
  const found: ReferrerDescriptor[] = [];
  for (let pages = 1; ; pages++) {
    const what = `page ${pages} of the referrers of ${subject} from ${repo.displayName}`;
    let answer: Awaited<ReturnType<RemoteRepository['getReferrersPage']>>;
    try {
      answer = await repo.getReferrersPage(page, maxPageBytes, options.signal);
    } catch (err) {
      throw tooLarge(err, what);
    }
    if (answer === undefined) {
      if (pages === 1) return undefined;
      throw new ShaleError('ERR_REGISTRY', `${repo.displayName} answered 404 to ${what}`);
    }
    found.push(...parseReferrersIndex(answer.bytes, what).manifests);
    if (found.length > maxReferrers)
      throw new ShaleError(
        'ERR_LIMIT',
        `${subject} in ${repo.displayName} has more than ${maxReferrers} referrers; refusing the list`,
      );
    const next = nextPage(answer.link);
    if (next === undefined) return found;
    if (pages >= maxPages)
      throw new ShaleError(
        'ERR_LIMIT',
        `the referrers of ${subject} in ${repo.displayName} run past ${maxPages} pages; refusing the list`,
      );
    page = { url: next };
  }
}

/**
 * The artifacts that refer to `subject` in `repo`: the referrers API, else the referrers tag
 * schema. `hasApi: false` (a registry already found without the API) goes to the tag schema at once.
 */
export async function referrersOf(
  repo: RemoteRepository,
  subject: Digest,
  options: ListReferrersOptions & { hasApi?: boolean } = {},
): Promise<Referrers> {
  const wanted = (d: ReferrerDescriptor) =>
    options.artifactType === undefined || d.artifactType === options.artifactType;
  const fromApi =
    options.hasApi === false ? undefined : await referrersFromApi(repo, subject, options);
  if (fromApi !== undefined) return { subject, source: 'api', referrers: fromApi.filter(wanted) };
  const tagged = await readReferrersTag(repo, subject, options.signal);
  const all = tagged?.manifests ?? [];
  const maxReferrers = options.maxReferrers ?? DEFAULT_MAX_REFERRERS;
  if (all.length > maxReferrers)
    throw new ShaleError(
      'ERR_LIMIT',
      `${subject} in ${repo.displayName} has more than ${maxReferrers} referrers; refusing the list`,
    );
  return { subject, source: 'tag-schema', referrers: all.filter(wanted) };
}

/**
 * The artifacts that refer to what `ref` names (its digest, else its tag, else `latest`; a tag
 * naming an index means the index): the referrers API, else the referrers tag schema.
 */
export async function listReferrers(
  client: RegistryClient,
  ref: NamedReference,
  options: ListReferrersOptions = {},
): Promise<Referrers> {
  const repo = new RemoteRepository(client, ref, ['pull']);
  const named = await repo.headManifest(ref.digest ?? ref.tag ?? 'latest', options.signal);
  return referrersOf(repo, (ref.digest as Digest | undefined) ?? named, options);
}
