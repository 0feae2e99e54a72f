/**
 * The image endpoints that read or rename: `GET /images/json` (`all`, `digests`, `filters`),
 * `GET /images/{name}/json`, `GET /images/{name}/history`, `POST /images/{name}/tag` and
 * `DELETE /images/{name}` (`force`, `noprune`), answered as dockerd answers them.
 */
import { familiarString, parseDockerRef } from '../../core/index.ts';
import {
  describeImage,
  engineHistory,
  engineImageInspect,
  engineImageSummary,
  imageHistory,
  listImageDetails,
  parseImageFilters,
  removalReport,
} from '../../present/index.ts';
import { namedManifestOf, removeImage, resolveImage, resolveTarget } from '../../store/index.ts';
import { HttpError } from '../errors.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';
import { filterPairs } from './filters.ts';

/** A name in a path, as dockerd says it does not know it. */
async function imageNamed(request: ApiRequest, name: string) {
  try {
    return await resolveImage(request.store, name);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ERR_NOT_FOUND')
      throw new HttpError(404, `No such image: ${name}`);
    throw err;
  }
}

async function list(request: ApiRequest): Promise<void> {
  const filters = parseImageFilters(filterPairs(request.query.get('filters')));
  const images = await listImageDetails(request.store, { all: request.flag('all'), filters });
  request.json(200, images.map(engineImageSummary));
}

async function inspect(request: ApiRequest): Promise<void> {
  const id = await imageNamed(request, request.params[0]!);
  request.json(200, engineImageInspect(await describeImage(request.store, id)));
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
  const dest = parseDockerRef(`${repo}:${tagName}`);
  await imageNamed(request, name);
  const source = await resolveTarget(request.store, name);
  await request.store.references.tag(dest, source.image, namedManifestOf(source));
  request.empty(201);
}

async function remove(request: ApiRequest): Promise<void> {
  const name = request.params[0]!;
  await imageNamed(request, name);
  const result = await removeImage(request.store, name, {
    force: request.flag('force'),
    noPrune: request.flag('noprune'),
  });
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
