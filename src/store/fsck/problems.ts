/** What `fsck` finds wrong in a store: one problem per damaged or inconsistent object. */
import * as z from '../../core/zod.ts';

export type FsckProblemKind =
  /** A blob's bytes do not hash to its name. */
  | 'corrupt-blob'
  /** A blob something names is not stored. */
  | 'missing-blob'
  /** A layer something names is not registered. */
  | 'missing-layer'
  /** An image something names is not in the store. */
  | 'missing-image'
  /** A metadata file, config or manifest that does not parse. */
  | 'bad-record'
  /** Objects that parse but disagree (DiffIDs, ChainIDs, sizes, descriptors). */
  | 'mismatch'
  /** `index.json` does not mirror the references. */
  | 'index-mismatch'
  /** A file an interrupted write left behind (ingests, partial downloads, temp files). */
  | 'leftover';

export interface FsckProblem {
  kind: FsckProblemKind;
  /** What is wrong: a digest, a reference or a path relative to the store root. */
  object: string;
  message: string;
  /** Bytes the object takes on disk (leftovers). */
  size?: number;
}

/** Collects problems, telling `onProblem` of each as it is found. */
export class ProblemList {
  readonly problems: FsckProblem[] = [];

  constructor(private readonly onProblem?: (problem: FsckProblem) => void) {}

  add(kind: FsckProblemKind, object: string, message: string, size?: number): void {
    const problem: FsckProblem = { kind, object, message };
    if (size !== undefined) problem.size = size;
    this.problems.push(problem);
    this.onProblem?.(problem);
  }
}

/** The reason of a parse or read failure, on one line (schema failures name the field). */
export function reasonOf(err: unknown): string {
  if (err instanceof z.core.$ZodError)
    return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return err instanceof Error ? err.message : String(err);
}
