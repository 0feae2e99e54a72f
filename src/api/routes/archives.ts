/**
 * Image archives over HTTP: `GET /images/{name}/get` and `GET /images/get?names=…` stream a
 * docker-archive (`docker save`) into the answer, stopped when the client goes away;
 * `POST /images/load` (`quiet`) loads the archive the body streams (any format and compression
 * `shale load` reads), streaming dockerd's `Loading layer` progress (../progress.ts) and then its
 * `{"stream":"Loaded image: …\n"}` messages.
 */
import { loadImages, saveImages } from '../../formats/index.ts';
import { loadReport } from '../../present/index.ts';
import { resolveImage } from '../../store/index.ts';
import { HttpError } from '../errors.ts';
import { emitImageEvent } from '../events.ts';
import { JsonStream } from '../json-stream.ts';
import { loadProgress } from '../progress.ts';
import type { ApiRequest } from '../request.ts';
import type { Router } from '../router.ts';

async function save(request: ApiRequest, names: string[]): Promise<void> {
  if (names.length === 0) throw new HttpError(400, 'give the images to save as names=…');
  const ids = await Promise.all(names.map((name) => resolveImage(request.store, name)));
  request.res.setHeader('content-type', 'application/x-tar');
  await saveImages(
    request.store,
    names,
    { format: 'docker', output: request.res },
    { signal: request.signal },
  );
  request.res.end();
  for (const id of ids) emitImageEvent('save', id);
}

/**
 * `docker load`: unless `quiet` (dockerd's default when the query leaves it out), a
 * `Loading layer` line for each layer the store did not hold, then the report.
 */
async function load(request: ApiRequest): Promise<void> {
  const stream = new JsonStream(request.res);
  const quiet = request.query.has('quiet') ? request.flag('quiet') : true;
  try {
    const loaded = await loadImages(request.store, request.req, {
      signal: request.signal,
      ...(!quiet && { onLayer: loadProgress((m) => stream.write(m)) }),
    });
    for (const image of loaded) emitImageEvent('load', image.id);
    for (const line of loadReport(loaded)) stream.write({ stream: `${line}\n` });
    stream.end();
  } catch (err) {
    stream.fail(err);
  }
}

export function archiveRoutes(router: Router): void {
  router.add('GET', /^\/images\/get$/, (request) => save(request, request.query.getAll('names')));
  router.add('GET', /^\/images\/(.+)\/get$/, (request) => save(request, [request.params[0]!]));
  router.add('POST', /^\/images\/load$/, load);
}
