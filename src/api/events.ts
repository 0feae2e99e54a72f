/**
 * The server's image events, as dockerd records them for `GET /events`: routes call
 * `emitImageEvent` after they change or move an image (pull, push, tag, untag, delete, import,
 * load, save); subscribers get each event as it happens, and the newest ones are kept for a later
 * `since`. Events live in this process only: a change made by a `shale` CLI process sharing the
 * store is not an event here (dockerd has no such second writer).
 */

export type ImageAction = 'pull' | 'push' | 'tag' | 'untag' | 'delete' | 'import' | 'load' | 'save';

/** One event in dockerd's shape (with the deprecated `status`/`id` it still fills for images). */
export interface ImageEvent {
  status: ImageAction;
  id: string;
  Type: 'image';
  Action: ImageAction;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  /** Seconds since the epoch. */
  time: number;
  /** Nanoseconds since the epoch (beyond a JSON number's exact range, hence a bigint). */
  timeNano: bigint;
}

/** How many past events are kept for `since` (dockerd keeps 256 too). */
const HISTORY_LIMIT = 256;

type Listener = (event: ImageEvent) => void;

const history: ImageEvent[] = [];
const listeners = new Set<Listener>();

/**
 * Record that `action` happened to the image `id` (dockerd's actor: the image ID, or for pull and
 * push the reference) under `name` (the reference involved; defaults to `id`, as dockerd's untag,
 * delete, load and save events say).
 */
export function emitImageEvent(
  action: ImageAction,
  id: string,
  name: string = id,
  labels: Record<string, string> = {},
): void {
  const timeNano = BigInt(Date.now()) * 1_000_000n;
  const event: ImageEvent = {
    status: action,
    id,
    Type: 'image',
    Action: action,
    Actor: { ID: id, Attributes: { ...labels, name } },
    scope: 'local',
    time: Number(timeNano / 1_000_000_000n),
    timeNano,
  };
  history.push(event);
  if (history.length > HISTORY_LIMIT) history.shift();
  for (const listener of listeners) listener(event);
}

/** The kept events, oldest first. */
export function pastImageEvents(): readonly ImageEvent[] {
  return [...history];
}

/** Call `listener` with each event from now on; returns what stops it. */
export function subscribeImageEvents(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** An event as one line of the `/events` stream (JSON, `timeNano` as an exact integer). */
export function eventJson(event: ImageEvent): string {
  const { timeNano, ...rest } = event;
  return `${JSON.stringify(rest).slice(0, -1)},"timeNano":${timeNano}}`;
}
