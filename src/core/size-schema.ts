/** The zod schema of a byte count (a blob's or a layer's size): a non-negative integer. */
import * as z from './zod.ts';

export const sizeSchema = z.number().check(z.int(), z.nonnegative());
