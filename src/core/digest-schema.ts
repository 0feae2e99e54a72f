/** The zod schema of a digest string, for validating stored metadata and documents. */
import * as z from './zod.ts';
import { isDigest, type Digest } from './digest.ts';

export const digestSchema = z.pipe(
  z.string(),
  z.custom<Digest>(isDigest, { message: 'not a sha256/sha512 digest' }),
);
