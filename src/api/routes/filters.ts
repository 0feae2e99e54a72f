/**
 * The `filters` query parameter of the Engine API: JSON mapping each key to its values, either as
 * `{"key": ["v1", "v2"]}` or (older clients) `{"key": {"v1": true}}`; returned as key/value pairs.
 */
import { HttpError } from '../errors.ts';

export function filterPairs(text: string | null): [string, string][] {
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, `invalid filter: ${text} is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new HttpError(400, 'invalid filter: expected a JSON object of filter names');
  const pairs: [string, string][] = [];
  for (const [key, values] of Object.entries(json as Record<string, unknown>)) {
    if (Array.isArray(values) && values.every((v) => typeof v === 'string'))
      for (const value of values) pairs.push([key, value]);
    else if (typeof values === 'object' && values !== null)
      for (const [value, on] of Object.entries(values)) {
        if (on === true) pairs.push([key, value]);
      }
    else throw new HttpError(400, `invalid filter: the values of ${key} are not a list`);
  }
  return pairs;
}
