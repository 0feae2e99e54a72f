/**
 * A limit a user sets through the environment: a non-negative number (an integer when `integer`),
 * where `0` means no limit (Infinity). Unset or empty: undefined. Anything else is refused by the
 * variable's name, saying what it must be.
 */
import { ShaleError } from './errors.ts';

export function limitFromEnv(
  name: string,
  what: { unit: string; integer?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  const shape = what.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!shape.test(text) || !Number.isFinite(value)) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `${name} must be ${what.unit} (0 for no limit), not ${JSON.stringify(text)}`,
    );
  }
  return value === 0 ? Infinity : value;
}
