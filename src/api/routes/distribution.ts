/**
 * `GET /distribution/{name}/json`: what the registry holds under a reference, without pulling —
 * the descriptor of the manifest or index it names and the platforms it offers, as dockerd
 * answers (`X-Registry-Auth` credentials apply to this request only). A bare image ID names
 * nothing in a registry.
 */
import { parseAnyReference } from '../../core/index.ts';
import {
  inspectRemoteImage,
  RegistryClient,
  registryOptionsFromEnv,
} from '../../registry/index.ts';
import { HttpError } from '../errors.ts';
import { requestCredentials } from '../registry-auth.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';

async function distributionInspect(request: ApiRequest): Promise<void> {
  const name = request.params[0]!;
  const ref = parseAnyReference(name);
  if (ref.kind !== 'named') throw new HttpError(400, 'no manifest found for full image ID');
  const client = new RegistryClient({
    ...registryOptionsFromEnv(),
    credentials: requestCredentials(request.req, ref.domain),
  });
  const { descriptor, platforms } = await inspectRemoteImage(client, ref, request.signal);
  request.json(200, { Descriptor: descriptor, Platforms: platforms.length > 0 ? platforms : null });
}

export function distributionRoutes(router: Router): void {
  router.add('GET', /^\/distribution\/(.+)\/json$/, distributionInspect);
}
