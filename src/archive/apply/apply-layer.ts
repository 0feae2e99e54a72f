/**
 * applyLayer: extract one uncompressed layer tar into a directory the way Docker's ApplyLayer does
 * (spec §7.5): the entry loop with its size/entry caps, abort checks and error mapping.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ShaleError } from '../../core/errors.ts';
import { ContentSizeCounter } from '../content-size.ts';
import { TypeFlag, readTar } from '../tar/index.ts';
import { Applier } from './applier.ts';
import { display } from './clean.ts';
import { entryError } from './entry-error.ts';
import type { ApplyOptions, ApplyResult } from './types.ts';

/**
 * Apply the uncompressed layer `tar` to the directory `root`. Returns Docker's layer size (the sum
 * of every entry's header size) and the entry count. Throws ShaleError ERR_BAD_TAR for hostile or
 * malformed entries, ERR_LIMIT for the caps in `options`, ERR_UNSUPPORTED for unknown types.
 */
export async function applyLayer(
  root: string,
  tar: AsyncIterable<Uint8Array>,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const realRoot = await fs.realpath(path.resolve(root)).catch((err: unknown) => {
    throw new ShaleError('ERR_NOT_FOUND', `layer root ${root} does not exist`, { cause: err });
  });
  if (!(await fs.stat(realRoot)).isDirectory()) {
    throw new ShaleError('ERR_INVALID_ARGUMENT', `layer root ${root} is not a directory`);
  }
  const applier = new Applier(realRoot, options);
  const contents = options.countContent ? new ContentSizeCounter() : undefined;
  let size = 0;
  let entries = 0;
  options.signal?.throwIfAborted();
  try {
    for await (const entry of readTar(tar, {
      dialect: options.dialect ?? 'go1.4',
      rawHeaders: false,
    })) {
      options.signal?.throwIfAborted();
      if (entry.header.typeflag === TypeFlag.paxGlobal) continue;
      entries++;
      size += entry.header.size;
      contents?.add(entry.header);
      if (options.maxEntries !== undefined && entries > options.maxEntries) {
        throw new ShaleError('ERR_LIMIT', `layer has more than ${options.maxEntries} entries`);
      }
      if (options.maxBytes !== undefined && size > options.maxBytes) {
        throw new ShaleError(
          'ERR_LIMIT',
          `layer content exceeds ${options.maxBytes} bytes (at ${display(entry.header.name)})`,
        );
      }
      try {
        const pending = applier.apply(entry);
        if (pending !== undefined) await pending;
      } catch (err) {
        throw entryError(err, entry.header.name);
      }
    }
    applier.finish();
  } finally {
    await applier.cleanup();
  }
  return contents ? { size, entries, contentSize: contents.total } : { size, entries };
}
