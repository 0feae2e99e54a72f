/**
 * The endpoints that bring images in from a registry or a request body, or send them out to a
 * registry: `POST /images/create` (pull with `fromImage`/`tag`/`platform`; import with
 * `fromSrc=-` and `repo`/`tag`/`message`/`changes`) and `POST /images/{name}/push` (`tag`).
 * Pull and push stream dockerd's progress messages (../progress.ts); both use the request's
 * `X-Registry-Auth` credentials (../registry-auth.ts) and stop when the client goes away (a
 * stopped pull keeps its partial downloads for the next one).
 */
import {
  familiarName,
  isShaleError,
  familiarString,
  isNameOnly,
  parseDockerRef,
  parseNormalizedNamed,
  parsePlatform,
  withDigest,
  withTag,
  type NamedReference,
} from '../../core/index.ts';
import {
  listTags,
  pullImage,
  pushImage,
  RegistryClient,
  registryOptionsFromEnv,
} from '../../registry/index.ts';
import { resolveImage } from '../../store/index.ts';
import { importRootfs } from '../../trees/index.ts';
import { HttpError } from '../errors.ts';
import { emitImageEvent } from '../events.ts';
import { JsonStream } from '../json-stream.ts';
import { pullProgress, pushProgress } from '../progress.ts';
import { requestCredentials } from '../registry-auth.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';

/** Blobs downloading at once in one pull, and uploading in one push (dockerd's defaults). */
const PULL_CONCURRENCY = 3;
const PUSH_CONCURRENCY = 5;

function registryClient(request: ApiRequest, host: string): RegistryClient {
  return new RegistryClient({
    ...registryOptionsFromEnv(),
    credentials: requestCredentials(request.req, host),
  });
}

/**
 * A registry's refusal as dockerd answers it for a pull or push: not a 401, which the docker CLI
 * takes as the daemon asking it for credentials (it would prompt for a login), but a 403.
 */
function refusal(err: unknown): unknown {
  return isShaleError(err, 'ERR_AUTH') ? new HttpError(403, err.message) : err;
}

/** `fromImage` with `tag` (a tag or a digest); no tag at all means every tag, as dockerd. */
function pullTarget(request: ApiRequest): { named: NamedReference; allTags: boolean } {
  const named = parseNormalizedNamed(request.query.get('fromImage') ?? '');
  const tag = request.query.get('tag') ?? '';
  if (tag === '') return { named, allTags: isNameOnly(named) };
  return {
    named: tag.includes(':') ? withDigest(named, tag) : withTag(named, tag),
    allTags: false,
  };
}

async function pull(request: ApiRequest): Promise<void> {
  const { named, allTags } = pullTarget(request);
  const platformText = request.query.get('platform') ?? '';
  const platform = platformText === '' ? undefined : parsePlatform(platformText);
  const client = registryClient(request, named.domain);
  const stream = new JsonStream(request.res);
  try {
    const targets = allTags
      ? (await listTags(client, named, { signal: request.signal })).map((tag) =>
          withTag(named, tag),
        )
      : [named];
    let updated = false;
    for (const target of targets) {
      const result = await pullImage(request.store, client, target, {
        ...(platform && { platform }),
        concurrency: PULL_CONCURRENCY,
        onProgress: pullProgress((m) => stream.write(m), target, PULL_CONCURRENCY),
        onWarning: (message) => stream.write({ status: `Warning: ${message}` }),
        signal: request.signal,
      });
      updated ||= result.updated;
      emitImageEvent('pull', familiarString(target), familiarName(target));
    }
    const shown = familiarString(named);
    stream.write({
      status: updated
        ? `Status: Downloaded newer image for ${shown}`
        : `Status: Image is up to date for ${shown}`,
    });
    stream.end();
  } catch (err) {
    stream.fail(refusal(err));
  } finally {
    await client.close();
  }
}

/** `docker import`: the request body is the root filesystem tar (any compression). */
async function importBody(request: ApiRequest): Promise<void> {
  if (request.query.get('fromSrc') !== '-')
    throw new HttpError(
      400,
      'shale imports only from the request body (fromSrc=-), not from a URL or path',
    );
  const repo = request.query.get('repo') ?? '';
  const tag = request.query.get('tag') ?? '';
  const reference = repo === '' ? undefined : parseDockerRef(tag === '' ? repo : `${repo}:${tag}`);
  try {
    const id = await importRootfs(request.store, request.req, {
      reference,
      changes: request.query.getAll('changes'),
      message: request.query.get('message') ?? '',
    });
    emitImageEvent('import', id);
    const stream = new JsonStream(request.res);
    stream.write({ status: id });
    stream.end();
  } catch (err) {
    // The rest of a refused body is not read: the connection ends with the answer.
    if (!request.req.complete) request.res.setHeader('connection', 'close');
    throw err;
  }
}

async function create(request: ApiRequest): Promise<void> {
  if (request.query.has('fromSrc')) return importBody(request);
  if (!request.query.get('fromImage'))
    throw new HttpError(400, 'give fromImage (to pull) or fromSrc=- (to import)');
  return pull(request);
}

/** The references to push: `name:tag`, or with no tag every tag of the repository, as dockerd. */
async function pushSources(request: ApiRequest): Promise<NamedReference[]> {
  const named = parseNormalizedNamed(request.params[0]!);
  const tag = request.query.get('tag') ?? '';
  if (tag !== '' || !isNameOnly(named)) return [tag === '' ? named : withTag(named, tag)];
  const tagged = Object.keys(await request.store.references.all())
    .map((ref) => parseDockerRef(ref))
    .filter(
      (ref) => ref.name() === named.name() && ref.tag !== undefined && ref.digest === undefined,
    );
  if (tagged.length === 0)
    throw new HttpError(404, `An image does not exist locally with the tag: ${named.name()}`);
  return tagged;
}

async function imageOf(request: ApiRequest, ref: NamedReference) {
  try {
    return await resolveImage(request.store, ref.toString());
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ERR_NOT_FOUND')
      throw new HttpError(404, `An image does not exist locally with the tag: ${ref.name()}`);
    throw err;
  }
}

async function push(request: ApiRequest): Promise<void> {
  const sources = await pushSources(request);
  const images = await Promise.all(sources.map((ref) => imageOf(request, ref)));
  const named = sources[0]!;
  const client = registryClient(request, named.domain);
  const stream = new JsonStream(request.res);
  try {
    stream.write({ status: `The push refers to repository [${named.name()}]` });
    for (const [i, source] of sources.entries()) {
      const send = (m: object) => stream.write(m);
      const result = await pushImage(request.store, client, source.toString(), undefined, {
        concurrency: PUSH_CONCURRENCY,
        onProgress: pushProgress(send, images[i]!, PUSH_CONCURRENCY),
        signal: request.signal,
      });
      const tag = source.tag ?? 'latest';
      stream.write({ status: `${tag}: digest: ${result.digest} size: ${result.size}` });
      stream.write({
        progressDetail: {},
        aux: { Tag: tag, Digest: result.digest, Size: result.size },
      });
      emitImageEvent('push', familiarString(source), familiarName(source));
    }
    stream.end();
  } catch (err) {
    stream.fail(refusal(err));
  } finally {
    await client.close();
  }
}

export function transferRoutes(router: Router): void {
  router.add('POST', /^\/images\/create$/, create);
  router.add('POST', /^\/images\/(.+)\/push$/, push);
}
