/**
 * A repository's tags, from the registry's tags/list API (`GET /v2/<name>/tags/list?n=…`),
 * following the `Link: <…>; rel="next"` pages the registry hands out, up to a bound.
 */
import { ShaleError } from '../core/errors.ts';
import type { NamedReference } from '../core/reference.ts';
import type { RegistryClient } from './client.ts';

export interface ListTagsOptions {
  /** Tags asked for per page (`n`); default 100. */
  pageSize?: number;
  /** Pages followed at most; default 100. More is an error, not a silent cut. */
  maxPages?: number;
  signal?: AbortSignal;
}

/** The URL of the `rel="next"` page in a Link header, when there is one. */
export function nextPage(link: string | undefined): string | undefined {
  return link?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
}

function tagsOf(bytes: Buffer, where: string): string[] {
  let body: { tags?: unknown };
  try {
    body = JSON.parse(bytes.toString('utf8')) as { tags?: unknown };
  } catch {
    throw new ShaleError('ERR_REGISTRY', `${where} answered a tag list that is not JSON`);
  }
  const tags = body.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw new ShaleError(
      'ERR_REGISTRY',
      `${where} answered a tag list that is not a list of names`,
    );
  }
  return tags;
}

/** Every tag of the repository `ref` names (its tag or digest, if any, is ignored). */
export async function listTags(
  client: RegistryClient,
  ref: NamedReference,
  options: ListTagsOptions = {},
): Promise<string[]> {
  const maxPages = options.maxPages ?? 100;
  const where = `${ref.domain}/${ref.path}`;
  const tags: string[] = [];
  let page: { path: string } | { url: string } = { path: `tags/list?n=${options.pageSize ?? 100}` };
  for (let pages = 1; ; pages++) {
    const { response, bytes } = await client.fetchBytes({
      ...{ host: ref.domain, repository: ref.path, method: 'GET', actions: ['pull'] },
      ...page,
      ...(options.signal && { signal: options.signal }),
    });
    tags.push(...tagsOf(bytes, where));
    const next = nextPage(response.header('link'));
    if (next === undefined) return tags;
    if (pages >= maxPages) {
      throw new ShaleError('ERR_LIMIT', `${where} has more than ${maxPages} pages of tags`);
    }
    page = { url: next };
  }
}
