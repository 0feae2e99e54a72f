/** Every route of the Engine API that shale serves, in one router. */
import { Router } from '../router.ts';
import { imageRoutes } from './images.ts';
import { systemRoutes } from './system.ts';

export function apiRouter(): Router {
  const router = new Router();
  systemRoutes(router);
  imageRoutes(router);
  return router;
}
