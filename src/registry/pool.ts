/** A bounded pool for parallel transfers: run tasks 0..count-1, at most `width` at once. */

/** The first failure rejects, after the running tasks settle (no new ones start). */
export async function runPool(
  count: number,
  width: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < count && errors.length === 0) {
      const i = next++;
      await task(i).catch((err: unknown) => void errors.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  if (errors.length > 0) throw errors[0];
}
