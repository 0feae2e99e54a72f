/** The zod schema of a digest string, for validating stored metadata and documents. */
import { z } from 'zod';
import { isDigest } from './digest.ts';

export const digestSchema = z.string().refine(isDigest, { message: 'not a sha256/sha512 digest' });
