/**
 * A worker thread for a script of this folder: beside this module (`.js` when built), beside the
 * CLI bundle, which carries its own build of it (scripts/bundle-cli.mjs names it
 * `tar-split-<name>.cjs`), or — run from source, as the tests do — the `.ts` file through tsx.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ShaleError } from '../../core/errors.ts';

export function startThread(name: string): Worker {
  const built = [
    new URL(`./${name}.js`, import.meta.url),
    new URL(`./tar-split-${name}.cjs`, import.meta.url),
  ].find((url) => existsSync(url));
  if (built) return new Worker(built);
  const source = new URL(`./${name}.ts`, import.meta.url);
  if (existsSync(source)) {
    const load = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`;
    return new Worker(load, { eval: true });
  }
  throw new ShaleError('ERR_NOT_FOUND', `the worker script ${name} is missing`);
}
