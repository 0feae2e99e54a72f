/**
 * Writes of what the store can work out again — sizes a read counted, a DiffID a read checked, a
 * record settled from them. On a store this process may not write (a read-only file system, a
 * store another user owns) such a write is skipped: the value worked out is used all the same, so
 * listing and inspecting a store does not need write access.
 */

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Whether `err` (or an error it was caused by) says the store may not be written here. */
function isNotWritable(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const { code } = e as NodeJS.ErrnoException;
    if (code !== undefined && NOT_WRITABLE.has(code)) return true;
  }
  return false;
}

/** Run the cache write `write`; when the store may not be written, skip it silently. */
export async function writeCache(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!isNotWritable(err)) throw err;
  }
}
