/**
 * Routing as dockerd does it: a method and a path pattern per endpoint; every path is also served
 * behind a `/vX.Y` prefix for each API version from 1.24 to the newest this server speaks (an
 * older or newer one is a 400 with dockerd's words). Paths no route knows: the areas of the
 * Engine API that shale does not serve (containers, build, volumes, …) answer 501 saying shale
 * serves images only; anything else is dockerd's 404 `page not found`.
 */
import type { ApiRequest } from './request.ts';
import { apiVersionBefore } from '../present/index.ts';
import { HttpError } from './errors.ts';

export const MIN_API_VERSION = '1.24';
/** The newest Engine API version served: the one the docker 28 CLI speaks. */
export const API_VERSION = '1.50';

export type Handler = (request: ApiRequest) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** Top path segments of Engine API areas shale does not serve. */
const UNSERVED = new Set([
  'containers',
  'build',
  'volumes',
  'networks',
  'exec',
  'swarm',
  'services',
  'nodes',
  'tasks',
  'secrets',
  'configs',
  'plugins',
  'session',
  'commit',
  'grpc',
]);

/** The path without its version prefix, and that version (default: the newest). */
export function splitVersion(pathname: string): { path: string; version: string } {
  const match = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!match) return { path: pathname, version: API_VERSION };
  const version = match[1]!;
  if (apiVersionBefore(API_VERSION, version))
    throw new HttpError(
      400,
      `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`,
    );
  if (apiVersionBefore(version, MIN_API_VERSION))
    throw new HttpError(
      400,
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  return { path: match[2]!, version };
}

/** A captured part of the path, decoded; bad percent-encoding is the client's error. */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in ${part}`);
  }
}

export class Router {
  private readonly routes: Route[] = [];

  /** Serve `method` on paths matching `pattern` (anchored; its groups become the params). */
  add(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.push({ method, pattern, handler });
    return this;
  }

  /**
   * The handler for a request and the path's captured params; throws the 404/501 answer (a path
   * served for other methods only is a 404 too, as dockerd answers).
   */
  match(method: string, path: string): { handler: Handler; params: string[] } {
    for (const route of this.routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      const wanted = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
      if (wanted.includes(route.method))
        return { handler: route.handler, params: found.slice(1).map(decodePathPart) };
    }
    const area = path.split('/')[1] ?? '';
    if (UNSERVED.has(area))
      throw new HttpError(
        501,
        `shale serves images only: ${method} /${area} is not served (no containers, builds, volumes, networks or swarm here)`,
      );
    throw new HttpError(404, 'page not found');
  }
}
