/**
 * Store records (the JSON files under `shale/`: images, layers, blob infos) read and validated:
 * a record that does not parse, does not fit its schema or disagrees with itself is an
 * ERR_BAD_RECORD naming the file and `shale fsck --repair`, never a parser's stack.
 */
import * as z from '../core/zod.ts';
import { isShaleError, ShaleError } from '../core/errors.ts';
import { readFileIfExists } from './json-file.ts';

export function badRecordError(file: string, reason: string): ShaleError {
  return new ShaleError(
    'ERR_BAD_RECORD',
    `store record ${file} is damaged (${reason}): run 'shale fsck --repair'`,
  );
}

/**
 * The record in `file` (undefined when there is none), parsed by `schema` after `upgrade` (for
 * records of an older shape); `disagreement` names what in a parsed record does not hold together.
 */
export async function readRecord<T>(
  file: string,
  schema: z.ZodMiniType<T>,
  options: {
    upgrade?: (json: unknown) => unknown;
    disagreement?: (record: T) => string | undefined;
  } = {},
): Promise<T | undefined> {
  const bytes = await readFileIfExists(file);
  if (bytes === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    // on one line: the parser quotes the text around the fault, newlines and all
    throw badRecordError(file, `not JSON: ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
  const parsed = schema.safeParse(options.upgrade ? options.upgrade(json) : json);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw badRecordError(file, reason);
  }
  const disagreement = options.disagreement?.(parsed.data);
  if (disagreement !== undefined) throw badRecordError(file, disagreement);
  return parsed.data;
}

/** A record to be replaced: a damaged one counts as absent (its writer is about to rewrite it). */
export async function replaceable<T>(read: Promise<T | undefined>): Promise<T | undefined> {
  return read.catch((err: unknown) => {
    if (isShaleError(err, 'ERR_BAD_RECORD')) return undefined;
    throw err;
  });
}
