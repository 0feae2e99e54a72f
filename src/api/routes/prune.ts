/**
 * `POST /images/prune` (`filters`: `dangling`, `until`, `label`, `label!`): the store's prune with
 * dockerd's selection, answered as dockerd answers — each removed image's references
 * (`Untagged`), then the image and the layers that went with it (`Deleted`), and the bytes freed.
 */
import { parsePruneFilters, pruneReport } from '../../present/index.ts';
import { prune } from '../../store/index.ts';
import { emitImageEvent } from '../events.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';
import { filterPairs } from './filters.ts';

async function pruneImages(request: ApiRequest): Promise<void> {
  const selection = parsePruneFilters(filterPairs(request.query.get('filters')));
  const result = await prune(request.store, selection);
  for (const image of result.removed) {
    image.untagged.forEach(() => emitImageEvent('untag', image.id));
    emitImageEvent('delete', image.id);
  }
  const deleted = pruneReport(result.removed);
  // dockerd answers null, not [], when nothing went
  request.json(200, {
    ImagesDeleted: deleted.length > 0 ? deleted : null,
    SpaceReclaimed: result.bytes,
  });
}

export function pruneRoutes(router: Router): void {
  router.add('POST', /^\/images\/prune$/, pruneImages);
}
