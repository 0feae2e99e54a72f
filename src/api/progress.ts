/**
 * Pull, push and load progress in dockerd's words: shale's events become the JSON messages
 * dockerd 20.10 writes (moby distribution/pull_v2.go, push_v2.go, xfer/download.go and upload.go,
 * image/tarexport/load.go), so the docker CLI draws its usual per-layer lines. A layer is named
 * by 12 hex characters: of its blob digest in a pull, of its DiffID in a push or load, as dockerd
 * names them. A status update carries `progressDetail` (`{}`, or `{current,total}` with the
 * rendered bar in `progress`); a plain message (`Pulling from …`, `Digest: …`) carries only
 * `status` and perhaps `id`.
 */
import type { Digest, NamedReference } from '../core/index.ts';
import type { LayerLoadProgress } from '../formats/index.ts';
import { humanSize } from '../present/index.ts';
import type { ProgressListener, TransferEvent } from '../registry/index.ts';
import type { JsonMessage } from './json-stream.ts';

type Send = (message: JsonMessage) => void;
type LayerEvent = TransferEvent & { type: 'layer' };

/** How many bytes a transfer moves between two progress messages (dockerd's reader: 512 KiB). */
const PROGRESS_STEP = 512 * 1024;

/** The 12 hex characters docker shows for a layer. */
export function shortId(digest: Digest | string): string {
  return digest.slice(digest.indexOf(':') + 1).slice(0, 12);
}

/** The bar dockerd renders for `{current,total}` (go-units sizes, a 50-column bar). */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  const counted = humanSize(current, 4).padStart(8);
  if (total <= 0) return counted;
  const filled = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const numbers = current > total ? counted : `${counted}/${humanSize(total, 4)}`;
  return `[${'='.repeat(filled)}>${' '.repeat(50 - filled)}] ${numbers}`;
}

/** A layer's status line, with its byte counts when moving. */
function update(digest: Digest, status: string, current?: number, total?: number): JsonMessage {
  if (current === undefined || total === undefined)
    return { status, progressDetail: {}, id: shortId(digest) };
  const progress = progressBar(current, total);
  return {
    status,
    progressDetail: { current, total },
    ...(progress !== '' && { progress }),
    id: shortId(digest),
  };
}

/**
 * The first messages of a batch of layers, as dockerd's transfer managers write them: `first`
 * for each, then `Waiting` for those beyond the transfers running at once.
 */
class Batch {
  private seen = 0;
  constructor(
    private readonly send: Send,
    private readonly first: string,
    private readonly concurrency: number,
  ) {}

  queue(digest: Digest): void {
    this.send(update(digest, this.first));
    if (this.seen++ >= this.concurrency) this.send(update(digest, 'Waiting'));
  }
}

/** Byte counts, thinned to one message per PROGRESS_STEP per layer (and the last). */
class Throttle {
  private readonly last = new Map<Digest, number>();

  due(event: LayerEvent): boolean {
    const current = event.current ?? 0;
    const previous = this.last.get(event.digest);
    if (previous !== undefined && current - previous < PROGRESS_STEP && current !== event.total)
      return false;
    this.last.set(event.digest, current);
    return true;
  }
}

/**
 * A pull's events as dockerd's messages: `Pulling from PATH` (id: the tag or digest); per layer
 * `Already exists`, or `Pulling fs layer`, `Waiting` (beyond the downloads running at once),
 * `Downloading`, `Verifying Checksum`, `Download complete` (the blob verified and stored) and
 * `Pull complete`; then `Digest: …`. The closing `Status: …` line is the route's (one for all the
 * tags of a pull).
 *
 * Where dockerd extracts each layer (`Extracting`) once it and its parent are downloaded, shale
 * stores the blob as it is (as containerd's content store does) and registers the layer by its
 * ChainID when the image commits, base first, after every download: `Pull complete` follows that
 * registration, and there is no `Extracting`.
 *
 * An image already in the store shows no layer lines at all, as dockerd skips its layers; so the
 * `Already exists` lines of a pull whose layers are all stored wait until the pull says whether
 * its image was there before.
 */
export function pullProgress(
  send: Send,
  reference: NamedReference,
  concurrency: number,
): ProgressListener {
  const batch = new Batch(send, 'Pulling fs layer', concurrency);
  const throttle = new Throttle();
  const present = new Set<Digest>();
  const complete = new Set<Digest>();
  let held: JsonMessage[] | undefined = [];
  const release = (): void => {
    for (const message of held ?? []) send(message);
    held = undefined;
  };
  return (event) => {
    switch (event.type) {
      case 'resolving':
        return;
      case 'resolved':
        return send({
          status: `Pulling from ${reference.path}`,
          id: reference.digest ?? reference.tag ?? 'latest',
        });
      case 'done':
        if (event.existed === true) held = undefined;
        release();
        return send({ status: `Digest: ${event.digest}` });
    }
    if (event.status === 'exists') {
      present.add(event.digest);
      const message = update(event.digest, 'Already exists');
      return held ? void held.push(message) : send(message);
    }
    if (event.status === 'done' && present.has(event.digest)) return;
    release();
    switch (event.status) {
      case 'waiting':
        return batch.queue(event.digest);
      case 'downloading':
        if (throttle.due(event))
          send(update(event.digest, 'Downloading', event.current, event.total));
        return;
      case 'verifying':
        return send(update(event.digest, 'Verifying Checksum'));
      case 'downloaded':
        return send(update(event.digest, 'Download complete'));
      case 'done':
        // once per blob, though the manifest may list it twice (dockerd fetches it once too)
        if (complete.has(event.digest)) return;
        complete.add(event.digest);
        return send(update(event.digest, 'Pull complete'));
    }
  };
}

/**
 * A push's events as dockerd's messages, per layer (named by its DiffID): `Preparing`, `Waiting`
 * (beyond the uploads running at once), then `Pushing`, `Pushed`, `Layer already exists` or
 * `Mounted from PATH`. The image config (`config`), which dockerd pushes without a line of its
 * own, is left out. The closing `TAG: digest: … size: N` and its aux message are the route's.
 */
export function pushProgress(send: Send, config: Digest, concurrency: number): ProgressListener {
  const batch = new Batch(send, 'Preparing', concurrency);
  const throttle = new Throttle();
  return (event) => {
    if (event.type !== 'layer' || event.digest === config) return;
    const layer = { ...event, digest: event.diffId ?? event.digest };
    switch (layer.status) {
      case 'waiting':
        return batch.queue(layer.digest);
      case 'pushing':
        if (throttle.due(layer)) send(update(layer.digest, 'Pushing', layer.current, layer.total));
        return;
      case 'done':
        return send(update(layer.digest, 'Pushed'));
      case 'exists':
        return send(update(layer.digest, 'Layer already exists'));
      case 'mounted':
        return send(update(layer.digest, `Mounted from ${layer.from ?? 'another repository'}`));
    }
  };
}

/** A load's `Loading layer` messages, for each layer the store did not hold (by DiffID). */
export function loadProgress(send: Send): (progress: LayerLoadProgress) => void {
  return ({ diffId, current, total }) => send(update(diffId, 'Loading layer', current, total));
}
