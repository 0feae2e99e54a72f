// Leases name their owner like locks do: a lease whose holder died (killed, or whose PID now
// belongs to another process) stops counting at once and its file goes; a live lease in another PID
// namespace counts for as long as it heartbeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStoreLayout, type StoreLayout } from '../../src/store/layout.ts';
import { oldestLiveLease, withLease } from '../../src/store/leases.ts';
import { currentOwner, STALE_HEARTBEAT_MS, type Owner } from '../../src/store/owner.ts';
import {
  kill,
  LOCK_CHILD,
  OTHER_PID_NAMESPACE,
  startChild,
  tempDir,
} from '../helpers/lock-children.ts';

function leaseFiles(layout: StoreLayout): string[] {
  return readdirSync(path.join(layout.metaDir, 'leases'));
}

test('a lease counts while held, except for its holder asking, and goes when done', async () => {
  const layout = await openStoreLayout(tempDir());
  const before = Date.now();
  await withLease(layout, async (lease) => {
    assert.ok(lease.started <= before - 1000 + 50 && lease.started >= before - 1000 - 50);
    assert.equal(await oldestLiveLease(layout), lease.started);
    assert.equal(await oldestLiveLease(layout, { except: lease }), undefined);
    await withLease(layout, async (inner) => {
      assert.equal(await oldestLiveLease(layout, { except: inner }), lease.started);
      assert.equal(await oldestLiveLease(layout, { except: lease }), inner.started);
    });
  });
  assert.deepEqual(leaseFiles(layout), []);
  assert.equal(await oldestLiveLease(layout), undefined);
});

test('the lease of a killed process, or of a recycled PID, stops counting at once', async (t) => {
  const root = tempDir();
  const layout = await openStoreLayout(root);
  const { child, line } = await startChild([...LOCK_CHILD, 'lease', root]);
  t.after(() => kill(child));
  const started = Number(line.split(' ')[1]);
  assert.equal(await oldestLiveLease(layout), started);
  await kill(child);
  assert.equal(await oldestLiveLease(layout), undefined);
  assert.deepEqual(leaseFiles(layout), [], 'the dead lease is removed');

  const sleeper = spawn('sleep', ['30']);
  t.after(() => sleeper.kill('SIGKILL'));
  await once(sleeper, 'spawn');
  const recycled = path.join(layout.metaDir, 'leases', `${sleeper.pid}-recycled.json`);
  writeFileSync(
    recycled,
    JSON.stringify({ ...currentOwner(), pid: sleeper.pid, start: 1, started: Date.now() - 5000 }),
  );
  assert.equal(await oldestLiveLease(layout), undefined);
  assert.equal(existsSync(recycled), false);
});

test('a lease held in another PID namespace counts while it heartbeats, not after', async (t) => {
  const root = tempDir();
  const layout = await openStoreLayout(root);
  const { child, line } = await startChild([...OTHER_PID_NAMESPACE, ...LOCK_CHILD, 'lease', root]);
  t.after(() => kill(child));
  const started = Number(line.split(' ')[1]);
  const [file] = leaseFiles(layout);
  const holder = JSON.parse(
    readFileSync(path.join(layout.metaDir, 'leases', file!), 'utf8'),
  ) as Owner;
  assert.notEqual(holder.pidns, currentOwner().pidns, 'the holder runs in another PID namespace');
  assert.equal(holder.pid, 1);

  const until = Date.now() + STALE_HEARTBEAT_MS + 2000;
  while (Date.now() < until) {
    assert.equal(await oldestLiveLease(layout), started);
    await sleep(500);
  }
  await kill(child);
  const began = Date.now();
  while ((await oldestLiveLease(layout)) !== undefined) {
    assert.ok(Date.now() - began <= STALE_HEARTBEAT_MS + 3000, 'the dead lease still counts');
    await sleep(200);
  }
  assert.deepEqual(leaseFiles(layout), []);
});
