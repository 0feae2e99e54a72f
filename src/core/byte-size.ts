/**
 * Byte counts as people type them on a command line (`16MiB`, `16m`, `512k`, `1048576`): Docker's
 * rule for memory sizes (go-units RAMInBytes) — k, m, g, t are powers of 1024, with or without
 * `B`/`iB`, any case. Whole numbers only.
 */
import { ShaleError } from './errors.ts';

const MULTIPLIERS: Record<string, number> = {
  '': 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** The bytes `text` names; ERR_INVALID_ARGUMENT (naming `what`) when it names none. */
export function parseByteSize(text: string, what = 'size'): number {
  const match = /^(\d{1,15}) ?([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const bytes = match ? Number(match[1]) * MULTIPLIERS[match[2]!.toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${what} must be a number of bytes such as 16MiB, 512k or 1048576, not ${JSON.stringify(text)}`,
    );
  }
  return bytes;
}
