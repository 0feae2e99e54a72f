/**
 * A worker thread for one of the archive layer's thread scripts (`script`: the module's URL
 * without its extension, e.g. `new URL('./writer-thread', import.meta.url)`): the `.js` file when
 * built, the `.cjs` build beside the CLI bundle (scripts/bundle-cli.mjs builds each script there
 * under its own name; in the bundle `import.meta.url` is the bundle's), or — run from source, as
 * the tests do — the `.ts` file through tsx.
 */
import { existsSync } from 'node:fs';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { ShaleError } from '../core/errors.ts';

export function startThread(script: URL, resourceLimits?: ResourceLimits): Worker {
  const built = ['.js', '.cjs']
    .map((ext) => new URL(`${script.href}${ext}`))
    .find((url) => existsSync(url));
  if (built) return new Worker(built, { ...(resourceLimits && { resourceLimits }) });
  const source = new URL(`${script.href}.ts`);
  if (existsSync(source)) {
    const load = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source.href)}); })`;
    return new Worker(load, { eval: true, ...(resourceLimits && { resourceLimits }) });
  }
  const name = script.pathname.slice(script.pathname.lastIndexOf('/') + 1);
  throw new ShaleError('ERR_NOT_FOUND', `the worker script ${name} is missing`);
}
