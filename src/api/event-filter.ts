/**
 * Which events a `GET /events` subscriber sees, as dockerd's event filter decides (moby
 * daemon/events/filter.go): `type`, `event`, `scope` and `image` match exactly (an image by ID,
 * by name, or by the name without its tag), `label` needs every `key[=value]` among the actor's
 * attributes, and the names of other kinds of objects (`container`, `volume`, …) match an actor's
 * ID or name or a prefix of them. A key with no values holds for every event.
 */
import { familiarName, parseNormalizedNamed } from '../core/index.ts';
import type { ImageEvent } from './events.ts';

/** Filter keys naming objects of another kind: matched by ID or name prefix. */
const FUZZY_KEYS = [
  'daemon',
  'container',
  'plugin',
  'volume',
  'network',
  'service',
  'node',
  'secret',
  'config',
];

export type EventFilter = (event: ImageEvent) => boolean;

/** The image's name without its tag, as dockerd's stripTag; the text itself when not a name. */
function withoutTag(text: string): string {
  try {
    return familiarName(parseNormalizedNamed(text));
  } catch {
    return text;
  }
}

/** The filter for `pairs` (the request's `filters` as key/value pairs). */
export function eventFilter(pairs: readonly [string, string][]): EventFilter {
  const values = new Map<string, string[]>();
  for (const [key, value] of pairs) values.set(key, [...(values.get(key) ?? []), value]);
  const exact = (key: string, ...sources: string[]) => {
    const wanted = values.get(key);
    return !wanted || sources.some((source) => wanted.includes(source));
  };
  const fuzzy = (key: string, ...sources: string[]) => {
    const wanted = values.get(key);
    return !wanted || sources.some((source) => wanted.some((w) => source.startsWith(w)));
  };
  const labels = (attributes: Record<string, string>) =>
    (values.get('label') ?? []).every((filter) => {
      const eq = filter.indexOf('=');
      const key = eq < 0 ? filter : filter.slice(0, eq);
      return Object.hasOwn(attributes, key) && (eq < 0 || attributes[key] === filter.slice(eq + 1));
    });
  return (event) => {
    const id = event.Actor.ID;
    const name = event.Actor.Attributes.name ?? '';
    return (
      exact('event', event.Action) &&
      exact('type', event.Type) &&
      exact('scope', event.scope) &&
      exact('image', id, name, withoutTag(id), withoutTag(name)) &&
      FUZZY_KEYS.every((key) => fuzzy(key, id, name)) &&
      labels(event.Actor.Attributes)
    );
  };
}
