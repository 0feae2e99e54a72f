/** Every route of the Engine API that shale serves, in one router. */
import { Router } from '../router.ts';
import { archiveRoutes } from './archives.ts';
import { authRoutes } from './auth.ts';
import { distributionRoutes } from './distribution.ts';
import { eventRoutes } from './events.ts';
import { imageRoutes } from './images.ts';
import { pruneRoutes } from './prune.ts';
import { systemDfRoutes } from './system-df.ts';
import { systemRoutes } from './system.ts';
import { transferRoutes } from './transfer.ts';

export function apiRouter(): Router {
  const router = new Router();
  systemRoutes(router);
  systemDfRoutes(router);
  eventRoutes(router);
  pruneRoutes(router);
  distributionRoutes(router);
  imageRoutes(router);
  transferRoutes(router);
  archiveRoutes(router);
  authRoutes(router);
  return router;
}
