/**
 * shale's version, from package.json (two levels up from src/present/, dist/present/ and the CLI
 * bundle alike), as `shale --version` and the Engine API's `/version` and `/info` show it.
 */
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function shaleVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;
  return version;
}
