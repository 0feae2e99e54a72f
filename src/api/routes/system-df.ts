/**
 * `GET /system/df` (`type`: image, container, volume, build-cache; all by default): the images
 * part with true sizes and shared sizes, and the containers, volumes and build cache shale does
 * not have as empty lists, in dockerd's shape.
 */
import { imageDiskUsage } from '../../present/index.ts';
import { HttpError } from '../errors.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';

const OBJECT_TYPES = ['container', 'image', 'volume', 'build-cache'];

async function diskUsage(request: ApiRequest): Promise<void> {
  const asked = request.query.getAll('type');
  for (const type of asked)
    if (!OBJECT_TYPES.includes(type)) throw new HttpError(400, `unknown object type: ${type}`);
  const wants = (type: string) => asked.length === 0 || asked.includes(type);
  request.json(200, {
    ...(wants('image') && (await imageDiskUsage(request.store, request.version))),
    ...(wants('container') && { Containers: [] }),
    ...(wants('volume') && { Volumes: [] }),
    ...(wants('build-cache') && { BuildCache: [], BuilderSize: 0 }),
  });
}

export function systemDfRoutes(router: Router): void {
  router.add('GET', /^\/system\/df$/, diskUsage);
}
