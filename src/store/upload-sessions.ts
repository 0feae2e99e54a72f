/**
 * Upload sessions of chunked pushes, remembered beside the store (`shale/uploads/`): per blob and
 * registry repository, the session's `Location` and how many bytes the registry confirmed, so a
 * push cut short continues where the registry stands instead of from zero. A record is only a
 * hint: the registry is asked again before it is trusted, and one that does not parse is ignored.
 * Written atomically; on a store this process may not write, sessions are simply not remembered.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Digest } from '../core/digest.ts';
import { digestSchema } from '../core/digest-schema.ts';
import { sizeSchema } from '../core/size-schema.ts';
import * as z from '../core/zod.ts';
import { writeCache } from './cache-write.ts';
import { readJsonFile, writeJsonAtomic } from './json-file.ts';
import type { StoreLayout } from './layout.ts';

const sessionSchema = z.object({
  digest: digestSchema,
  /** `host/path` of the repository the blob is being uploaded to. */
  repository: z.string(),
  /** The latest `Location` the registry handed out (absolute). */
  location: z.string(),
  /** Bytes the registry confirmed it holds (from the start of the blob). */
  confirmed: sizeSchema,
});

export type UploadSession = z.infer<typeof sessionSchema>;

/** Where a chunked upload keeps its session: the store's records, or a stand-in that opens them. */
export interface UploadSessions {
  get(digest: Digest, repository: string): Promise<UploadSession | undefined>;
  set(session: UploadSession): Promise<void>;
  delete(digest: Digest, repository: string): Promise<void>;
}

/**
 * The sessions of the store `open` opens (creating it), opened when an upload first needs them:
 * a command that uploads no blob in chunks leaves the store alone. A store that cannot be opened
 * keeps none (sessions are hints), which `onUnavailable` is told once.
 */
export function sessionsOpenedOnUse(
  open: () => Promise<UploadSessionStore>,
  onUnavailable: (err: unknown) => void = () => undefined,
): UploadSessions {
  let opened: Promise<UploadSessions> | undefined;
  const sessions = () =>
    (opened ??= open().catch((err: unknown) => {
      onUnavailable(err);
      return NO_SESSIONS;
    }));
  return {
    get: async (digest, repository) => (await sessions()).get(digest, repository),
    set: async (session) => (await sessions()).set(session),
    delete: async (digest, repository) => (await sessions()).delete(digest, repository),
  };
}

/** Sessions never remembered. */
const NO_SESSIONS: UploadSessions = {
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
  delete: () => Promise.resolve(),
};

export class UploadSessionStore implements UploadSessions {
  private readonly dir: string;

  constructor(layout: StoreLayout) {
    this.dir = layout.uploadsDir;
  }

  private file(digest: Digest, repository: string): string {
    const key = createHash('sha256').update(`${repository}\n${digest}`).digest('hex');
    return path.join(this.dir, `${key}.json`);
  }

  /** The session remembered for `digest` on `repository`, if any (and readable). */
  async get(digest: Digest, repository: string): Promise<UploadSession | undefined> {
    const parsed = sessionSchema.safeParse(
      await readJsonFile(this.file(digest, repository)).catch(() => undefined),
    );
    const session = parsed.success ? parsed.data : undefined;
    return session?.digest === digest && session.repository === repository ? session : undefined;
  }

  async set(session: UploadSession): Promise<void> {
    const file = this.file(session.digest, session.repository);
    await writeCache(() => writeJsonAtomic(file, session));
  }

  /** Forget the session (the blob was committed, or the registry no longer knows it). */
  async delete(digest: Digest, repository: string): Promise<void> {
    await writeCache(() => rm(this.file(digest, repository), { force: true }));
  }
}
