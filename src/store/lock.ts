/**
 * The store's one lock primitive (references, legacy IDs, partial downloads, scratch owners): a
 * file created exclusively (O_EXCL) that holds its owner (see owner.ts) and a nonce, heartbeated
 * while held. A live holder is waited for, never robbed; a dead one's lock is taken over at once.
 *
 * Take-over: a dead lock may only be removed by the one process holding `<lock>.break`, a hard
 * link to the lock file made with link(2) (which fails if it exists). Through that link the
 * breaker checks that the lock is still the one it judged dead — nothing else can remove or
 * replace it meanwhile: its holder is dead and the other breakers wait — then removes it. A
 * `.break` left by a killed breaker is removed once its inode has not changed (ctime) for
 * BREAK_STALE_MS; the one remaining window is two processes doing that at the same instant.
 * A lock file found empty is one being written; it counts as live until it is
 * STALE_HEARTBEAT_MS old (its creator was killed between create and write).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShaleError } from '../core/errors.ts';
import * as z from '../core/zod.ts';
import { storeWriteFailure } from './disk-errors.ts';
import type { StoreLayout } from './layout.ts';
import {
  currentOwner,
  ownerSchema,
  ownerState,
  startHeartbeat,
  STALE_HEARTBEAT_MS,
  type Owner,
} from './owner.ts';

export interface LockOptions {
  /** Stop waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Give up with ERR_LIMIT ("the store is busy") after waiting this long for a live holder. */
  waitMs?: number;
}

export interface HeldLock {
  readonly file: string;
  /** Let go (removes the lock file if it is still ours). Never throws. */
  release(): Promise<void>;
}

/** How long `withLock` waits for a live holder before saying the store is busy. */
export const LOCK_WAIT_MS = 60_000;
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;
/** A take-over lasts a few system calls; a `.break` link this old was left by a killed one. */
const BREAK_STALE_MS = 2000;

const lockRecordSchema = z.extend(ownerSchema, { nonce: z.string() });
type LockRecord = Owner & { nonce: string };

/** What a lock file shows: its record (absent while being written), and whether its holder runs. */
interface Holder {
  record: LockRecord | undefined;
  state: 'alive' | 'dead';
  /** The record's nonce, or the inode of a file without a record: what a take-over compares. */
  identity: string;
}

/**
 * Nonces of the locks this process holds or is taking: a lock file naming this process with
 * another nonce is one it no longer holds (left by a release that failed), so it is dead.
 */
const ownNonces = new Set<string>();

function isThisProcess(owner: Owner): boolean {
  const self = currentOwner();
  return (
    owner.pid === self.pid &&
    owner.start === self.start &&
    owner.pidns === self.pidns &&
    owner.boot === self.boot &&
    owner.host === self.host
  );
}

/** The holder of the lock `file`, or undefined when there is no lock. */
async function inspect(file: string): Promise<Holder | undefined> {
  let text: string;
  let mtimeMs: number;
  let ino: number;
  try {
    ({ mtimeMs, ino } = await stat(file));
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const age = Math.max(0, Date.now() - mtimeMs);
  let record: LockRecord | undefined;
  try {
    const parsed = lockRecordSchema.safeParse(JSON.parse(text));
    if (parsed.success) record = parsed.data;
  } catch {
    // empty (being written) or garbage: judged by age alone
  }
  let state: Holder['state'];
  if (record === undefined) state = age < STALE_HEARTBEAT_MS ? 'alive' : 'dead';
  else if (isThisProcess(record)) state = ownNonces.has(record.nonce) ? 'alive' : 'dead';
  else state = ownerState(record, age);
  return { record, state, identity: record ? record.nonce : `inode ${ino}` };
}

/** Whether the lock `file` is held by a live owner, by a dead one, or not at all. */
export async function lockState(file: string): Promise<'alive' | 'dead' | 'absent'> {
  return (await inspect(file))?.state ?? 'absent';
}

/** A failure to create or take over the lock `file`, in the store's words when it is in one. */
function lockFailure(err: unknown, file: string): unknown {
  return storeWriteFailure(err, file, { what: `the lock ${path.basename(file)}` });
}

/** Create the lock file holding `record`; false when it exists. */
async function tryCreate(file: string, record: LockRecord): Promise<boolean> {
  for (let madeDir = false; ; madeDir = true) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(record));
        await handle.close();
      } catch (err) {
        await handle.close().catch(() => undefined);
        await rm(file, { force: true });
        throw err;
      }
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'ENOENT' && !madeDir) {
        await mkdir(path.dirname(file), { recursive: true }).catch((mkdirErr: unknown) => {
          throw lockFailure(mkdirErr, file);
        });
        continue;
      }
      throw lockFailure(err, file);
    }
  }
}

/**
 * Remove the lock `file` if it is still the dead one `holder` describes; false when another
 * process is taking it over (wait before looking again).
 */
async function removeDead(file: string, holder: Holder): Promise<boolean> {
  const breaking = `${file}.break`;
  try {
    await link(file, breaking);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true; // gone already
    if (code !== 'EEXIST') throw err;
    const left = await stat(breaking).catch(() => undefined);
    if (left !== undefined && Date.now() - left.ctimeMs >= BREAK_STALE_MS) {
      await rm(breaking, { force: true });
      return true;
    }
    return false;
  }
  try {
    if ((await inspect(breaking))?.identity === holder.identity) await rm(file, { force: true });
  } finally {
    await rm(breaking, { force: true });
  }
  return true;
}

function busy(file: string, holder: Holder): ShaleError {
  const who = holder.record
    ? `process ${holder.record.pid} on ${holder.record.host}`
    : 'a process that is starting';
  return new ShaleError(
    'ERR_LIMIT',
    `the store is busy (lock ${path.basename(file)} held by ${who}); try again`,
  );
}

class Lock implements HeldLock {
  private readonly stopHeartbeat: () => void;
  private released = false;

  constructor(
    readonly file: string,
    private readonly nonce: string,
  ) {
    this.stopHeartbeat = startHeartbeat(file);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stopHeartbeat();
    // Left in place on failure, the file names a lock this process no longer holds: it will be
    // taken over at once.
    if ((await inspect(this.file).catch(() => undefined))?.identity === this.nonce) {
      await rm(this.file, { force: true }).catch(() => undefined);
    }
    ownNonces.delete(this.nonce);
  }
}

/**
 * Take the lock `file`, waiting (polling with jitter) while a live process holds it: without limit
 * unless `waitMs` is given, abortable by `signal`. A dead holder's lock is taken over at once.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<HeldLock> {
  const { signal } = options;
  const record: LockRecord = { ...currentOwner(), nonce: randomBytes(8).toString('hex') };
  const deadline = Date.now() + (options.waitMs ?? Infinity);
  ownNonces.add(record.nonce);
  try {
    for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
      signal?.throwIfAborted();
      if (await tryCreate(file, record)) return new Lock(file, record.nonce);
      const holder = await inspect(file);
      if (holder === undefined) continue; // released meanwhile
      const removed =
        holder.state === 'dead' &&
        (await removeDead(file, holder).catch((err: unknown) => {
          throw lockFailure(err, file);
        }));
      if (removed) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw busy(file, holder);
      await sleep(Math.min(left, pause * (0.5 + Math.random())), undefined, { signal }).catch(
        (err: unknown) => {
          signal?.throwIfAborted();
          throw err;
        },
      );
    }
  } catch (err) {
    ownNonces.delete(record.nonce);
    throw err;
  }
}

/** Run `fn` while holding the store lock called `name` (waiting at most LOCK_WAIT_MS for it). */
export async function withLock<T>(
  layout: StoreLayout,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(path.join(layout.metaDir, 'locks', name), {
    waitMs: LOCK_WAIT_MS,
  });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
