/**
 * The image endpoints that read or rename: `GET /images/json` (`all`, `filters`, `shared-size`;
 * `digests` needs nothing, RepoDigests are always there; the old `filter` before API 1.25),
 * `GET /images/{name}/json`, `GET /images/{name}/history`, `POST /images/{name}/tag` and
 * `DELETE /images/{name}` (`force`, `noprune`), answered as dockerd answers them: an unknown image
 * is a 404 `No such image: NAME`, a removal that needs force a 409 `conflict: …`. Tags and
 * removals are image events.
 */
import {
  familiarString,
  isShaleError,
  parseAnyReference,
  parseDockerRef,
  parseNormalizedNamed,
  familiarName,
} from '../../core/index.ts';
import {
  apiVersionBefore,
  DescriptionCache,
  describeImage,
  engineHistory,
  engineImageInspect,
  engineImageSummary,
  imageHistory,
  listImageDetails,
  parseImageFilters,
  removalReport,
  sharedSizes,
} from '../../present/index.ts';
import {
  namedManifestOf,
  removeImage,
  resolveImage,
  resolveTarget,
  type Store,
} from '../../store/index.ts';
import { HttpError } from '../errors.ts';
import { emitImageEvent } from '../events.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';
import { filterPairs } from './filters.ts';

/**
 * The image a name in a path means; a name that is no reference nor ID is dockerd's 400 (the
 * ShaleError's code), one the store does not hold dockerd's 404.
 */
async function imageNamed(request: ApiRequest, name: string) {
  parseAnyReference(name);
  try {
    return await resolveImage(request.store, name);
  } catch (err) {
    if (isShaleError(err, 'ERR_NOT_FOUND')) throw new HttpError(404, `No such image: ${name}`);
    throw err;
  }
}

/** Descriptions kept between listings, one cache per store the server serves. */
const caches = new WeakMap<Store, DescriptionCache>();
function descriptionCache(store: Store): DescriptionCache {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new DescriptionCache()));
  return cache;
}

async function list(request: ApiRequest): Promise<void> {
  const pairs = filterPairs(request.query.get('filters'));
  const oldFilter = request.query.get('filter');
  if (
    apiVersionBefore(request.version, '1.25') &&
    oldFilter &&
    !pairs.some(([k]) => k === 'reference')
  )
    pairs.push(['reference', oldFilter]);
  const filters = parseImageFilters(pairs);
  const images = await listImageDetails(request.store, {
    all: request.flag('all'),
    filters,
    cache: descriptionCache(request.store),
  });
  const shared =
    request.flag('shared-size') && !apiVersionBefore(request.version, '1.42')
      ? await sharedSizes(request.store, images)
      : [];
  request.json(
    200,
    images.map((image, i) => engineImageSummary(image, request.version, shared[i])),
  );
}

async function inspect(request: ApiRequest): Promise<void> {
  const id = await imageNamed(request, request.params[0]!);
  request.json(200, engineImageInspect(await describeImage(request.store, id), request.version));
}

async function history(request: ApiRequest): Promise<void> {
  const id = await imageNamed(request, request.params[0]!);
  const references = await request.store.references.all();
  const tagsOf = (image: string) =>
    Object.keys(references)
      .filter((ref) => references[ref] === image && parseDockerRef(ref).digest === undefined)
      .sort()
      .map((ref) => familiarString(parseDockerRef(ref)));
  request.json(200, engineHistory(await imageHistory(request.store, id), tagsOf));
}

async function tag(request: ApiRequest): Promise<void> {
  const name = request.params[0]!;
  const repo = request.query.get('repo');
  if (!repo) throw new HttpError(400, 'repository name (repo) is required');
  const tagName = request.query.get('tag') || 'latest';
  if (familiarName(parseNormalizedNamed(repo)) === 'sha256')
    throw new HttpError(400, 'refusing to create an ambiguous tag using digest algorithm as name');
  const dest = parseDockerRef(`${repo}:${tagName}`);
  const id = await imageNamed(request, name);
  const source = await resolveTarget(request.store, name);
  await request.store.references.tag(dest, source.image, namedManifestOf(source));
  emitImageEvent('tag', id, familiarString(dest));
  request.empty(201);
}

async function remove(request: ApiRequest): Promise<void> {
  const name = request.params[0]!;
  const id = await imageNamed(request, name);
  // a removal that needs force is ERR_NEEDS_FORCE, worded as dockerd words it: a 409
  const result = await removeImage(request.store, name, {
    force: request.flag('force'),
    noPrune: request.flag('noprune'),
  });
  result.untagged.forEach(() => emitImageEvent('untag', id));
  for (const image of result.deleted) emitImageEvent('delete', image.id);
  request.json(200, removalReport(result));
}

export function imageRoutes(router: Router): void {
  router
    .add('GET', /^\/images\/json$/, list)
    .add('GET', /^\/images\/(.+)\/json$/, inspect)
    .add('GET', /^\/images\/(.+)\/history$/, history)
    .add('POST', /^\/images\/(.+)\/tag$/, tag)
    .add('DELETE', /^\/images\/(.+)$/, remove);
}
