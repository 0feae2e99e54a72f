/** shale's version, from package.json (two levels up from src/api/, dist/api/ and the bundle). */
import { readFileSync } from 'node:fs';

export const SHALE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
