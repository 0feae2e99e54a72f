/**
 * Small JSON metadata files, written atomically (temp file, fsync, length check, rename) and read
 * tolerantly. A full, read-only or foreign-owned store fails in the store's words.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { checkFileLength } from './write-fully.ts';
import { storeWriteFailure } from './disk-errors.ts';
import { ownedTempPath } from './temp-names.ts';

/** Replace `file` with `value` as JSON; readers see the old or the new content, never a mix. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(value)}\n`);
  const writing = { what: file, neededBytes: bytes.length };
  const temp = ownedTempPath(file);
  const handle = await mkdir(path.dirname(file), { recursive: true })
    .then(() => open(temp, 'wx', 0o644))
    .catch((err: unknown) => {
      throw storeWriteFailure(err, file, writing);
    });
  try {
    await handle.writeFile(bytes); // writes until every byte is in (or fails)
    await handle.sync();
    await checkFileLength(handle, bytes.length, file);
    await handle.close();
    await rename(temp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw storeWriteFailure(err, file, writing);
  }
}

/** The bytes of `file`, or undefined when it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The parsed content of `file`, or undefined when it does not exist. */
export async function readJsonFile(file: string): Promise<unknown> {
  const bytes = await readFileIfExists(file);
  return bytes === undefined ? undefined : JSON.parse(bytes.toString('utf8'));
}
