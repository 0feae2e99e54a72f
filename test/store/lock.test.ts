// The store's lock primitive against real processes: dead holders (killed, or a recycled PID) are
// taken over at once, a live holder in another PID namespace is never robbed while it heartbeats,
// contending processes serialize, and a store that cannot be written says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, linkSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isShaleError } from '../../src/core/errors.ts';
import { openStoreLayout } from '../../src/store/layout.ts';
import { acquireLock, withLock } from '../../src/store/lock.ts';
import { currentOwner, STALE_HEARTBEAT_MS, type Owner } from '../../src/store/owner.ts';
import {
  AS_NOBODY,
  kill,
  LOCK_CHILD,
  OTHER_PID_NAMESPACE,
  run,
  startChild,
  tempDir,
} from '../helpers/lock-children.ts';

async function rejectsBusy(file: string, waitMs: number): Promise<string> {
  try {
    const lock = await acquireLock(file, { waitMs });
    await lock.release();
  } catch (err) {
    assert.ok(isShaleError(err, 'ERR_LIMIT'), String(err));
    return err.message;
  }
  assert.fail(`the lock ${file} was taken from its live holder`);
}

function recordIn(file: string): Owner {
  return JSON.parse(readFileSync(file, 'utf8')) as Owner;
}

function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

test('a lock held by a process that was killed (SIGKILL) is taken at once', async () => {
  const file = path.join(tempDir(), 'lock');
  const { child } = await startChild([...LOCK_CHILD, 'hold', file]);
  const message = await rejectsBusy(file, 300);
  assert.match(message, new RegExp(`held by process ${child.pid} on `));
  await kill(child);
  const began = Date.now();
  const lock = await acquireLock(file, { waitMs: 5000 });
  assert.ok(Date.now() - began < 1000, `took ${Date.now() - began} ms`);
  assert.equal(recordIn(file).pid, currentOwner().pid);
  await lock.release();
});

test('a lock whose PID now belongs to an unrelated process is taken at once', async (t) => {
  const dir = tempDir();
  const sleeper = spawn('sleep', ['30']);
  t.after(() => sleeper.kill('SIGKILL'));
  await once(sleeper, 'spawn');
  const record = (start: number) =>
    JSON.stringify({ ...currentOwner(), pid: sleeper.pid, start, nonce: 'recorded-by-the-test' });

  // The control: the same record with the right start time is a live holder.
  const live = path.join(dir, 'live');
  writeFileSync(live, record(startTimeOf(sleeper.pid!)));
  await rejectsBusy(live, 300);

  const recycled = path.join(dir, 'recycled');
  writeFileSync(recycled, record(startTimeOf(sleeper.pid!) + 1));
  const began = Date.now();
  const lock = await acquireLock(recycled, { waitMs: 5000 });
  assert.ok(Date.now() - began < 1000, `took ${Date.now() - began} ms`);
  await lock.release();
});

test('a live holder in another PID namespace is not robbed; once killed, its lock is taken', async (t) => {
  const file = path.join(tempDir(), 'lock');
  const { child } = await startChild([...OTHER_PID_NAMESPACE, ...LOCK_CHILD, 'hold', file]);
  t.after(() => kill(child));
  const holder = recordIn(file);
  assert.notEqual(holder.pidns, currentOwner().pidns, 'the holder runs in another PID namespace');
  assert.equal(holder.pid, 1);

  await rejectsBusy(file, STALE_HEARTBEAT_MS + 2000);
  await kill(child);
  const began = Date.now();
  const lock = await acquireLock(file, { waitMs: STALE_HEARTBEAT_MS + 5000 });
  const took = Date.now() - began;
  assert.ok(took <= STALE_HEARTBEAT_MS + 3000, `took ${took} ms`);
  await lock.release();
});

test('processes contending for one lock serialize (no lost increment)', async () => {
  const root = tempDir();
  const layout = await openStoreLayout(root);
  // They start by racing to take over a dead holder's lock (a recycled PID).
  writeFileSync(
    path.join(layout.metaDir, 'locks', 'counter'),
    JSON.stringify({ ...currentOwner(), pid: 1, start: -1, nonce: 'dead' }),
  );
  const counter = path.join(root, 'counter');
  const times = 40;
  await Promise.all(
    [1, 2, 3].map(() => run([...LOCK_CHILD, 'count', root, counter, String(times)])),
  );
  assert.equal(readFileSync(counter, 'utf8'), String(3 * times));
});

test('withLock waits for a holder in the same process; a wait can be aborted', async () => {
  const layout = await openStoreLayout(tempDir());
  const order: string[] = [];
  const first = withLock(layout, 'references', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    order.push('first');
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await withLock(layout, 'references', () => Promise.resolve(order.push('second')));
  await first;
  assert.deepEqual(order, ['first', 'second']);

  const file = path.join(layout.metaDir, 'locks', 'references');
  const held = await acquireLock(file);
  const aborted = new AbortController();
  setTimeout(() => aborted.abort(new Error('stop waiting')), 200);
  await assert.rejects(acquireLock(file, { signal: aborted.signal }), /stop waiting/);
  await held.release();
  await (await acquireLock(file, { waitMs: 0 })).release();
});

test('a store the process may not write, or a full disk, says so, not "busy"', async () => {
  const root = tempDir();
  await openStoreLayout(root); // owned by root
  const lockFile = path.join(root, 'shale', 'locks', 'references');
  assert.equal(
    (await run([...AS_NOBODY, ...LOCK_CHILD, 'try-lock', root])).trim(),
    `permission denied on ${lockFile} (the store belongs to uid 0; run as that user or choose another --root)`,
  );
  const readOnly = `mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"`;
  assert.equal(
    (
      await run(['unshare', '--mount', 'sh', '-c', readOnly, root, ...LOCK_CHILD, 'try-lock', root])
    ).trim(),
    `the store ${root} is on a read-only file system`,
  );
  // A store on a small file system, filled up (the lock's directory is there already).
  const full = `mount -t tmpfs -o size=64k tmpfs "$0" && mkdir -p "$0/shale/locks" &&
    echo '{"format":"shale-store","version":1}' >"$0/shale/store.json" &&
    { head -c 1M /dev/zero >"$0/fill" 2>/dev/null; exec "$@"; }`;
  assert.equal(
    (
      await run(['unshare', '--mount', 'sh', '-c', full, root, ...LOCK_CHILD, 'try-lock', root])
    ).trim(),
    `no space left on device writing the lock references in ${root} — free some space and try again`,
  );
  assert.equal((await run([...LOCK_CHILD, 'try-lock', root])).trim(), 'ok');
});

test('a take-over left half done by a killed process does not block the next one', async () => {
  const file = path.join(tempDir(), 'lock');
  writeFileSync(file, JSON.stringify({ ...currentOwner(), pid: 1, start: -1, nonce: 'dead' }));
  linkSync(file, `${file}.break`); // what a breaker killed before finishing leaves
  const began = Date.now();
  const lock = await acquireLock(file, { waitMs: 10_000 });
  assert.ok(Date.now() - began < 5000, `took ${Date.now() - began} ms`);
  assert.equal(existsSync(`${file}.break`), false);
  await lock.release();
});

test('racing take-overs of a dead lock let one holder in at a time', async () => {
  const file = path.join(tempDir(), 'lock');
  const dead = JSON.stringify({ ...currentOwner(), pid: 1, start: -1, nonce: 'dead' });
  let inside = 0;
  let entered = 0;
  for (let round = 0; round < 60; round++) {
    writeFileSync(file, dead);
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        const lock = await acquireLock(file, { waitMs: 5000 });
        inside += 1;
        entered += 1;
        assert.equal(inside, 1, 'two holders at once');
        await new Promise((resolve) => setImmediate(resolve));
        inside -= 1;
        await lock.release();
      }),
    );
  }
  assert.equal(entered, 60 * 6);
  assert.equal(existsSync(file), false);
});
