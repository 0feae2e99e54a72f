/**
 * A child process for lock, lease and scratch tests (run directly, in another PID namespace, or as
 * another user). Modes:
 *   hold <file>                  take the lock, print "held", keep it until killed
 *   lease <root>                 take a lease, print "leased <started>", keep it until killed
 *   scratch <root>               create a scratch with a 1000-byte file, print its dir, keep it
 *   dispose <root> <n>           create a scratch with n empty files, print its dir, then (once
 *                                stdin gives a line) remove it and wait to be killed
 *   remove <root> <dir>          once stdin gives a line, remove <dir> through a scratch, wait to
 *                                be killed
 *   count <root> <file> <n>      n times, under withLock(root, 'counter'): read, pause, write +1
 *   try-lock <root>              withLock(root, 'references') once; print "ok" or the error message
 */
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock, withLock } from '../../src/store/lock.ts';
import { withLease } from '../../src/store/leases.ts';
import { StoreLayout } from '../../src/store/layout.ts';
import { createScratch, removeThroughScratch } from '../../src/store/scratch.ts';

const [mode, ...args] = process.argv.slice(2);

function forever(): Promise<never> {
  return new Promise(() => setInterval(() => undefined, 60_000));
}

switch (mode) {
  case 'hold': {
    await acquireLock(args[0]!);
    process.stdout.write('held\n');
    await forever();
    break;
  }
  case 'lease': {
    await withLease(new StoreLayout(args[0]!), async (lease) => {
      process.stdout.write(`leased ${lease.started}\n`);
      await forever();
    });
    break;
  }
  case 'scratch': {
    const scratch = await createScratch(new StoreLayout(args[0]!), 'test');
    await writeFile(path.join(scratch.dir, 'data'), Buffer.alloc(1000));
    process.stdout.write(`${scratch.dir}\n`);
    await forever();
    break;
  }
  case 'dispose': {
    const scratch = await createScratch(new StoreLayout(args[0]!), 'test');
    for (let i = 0; i < Number(args[1]); i++)
      await writeFile(path.join(scratch.dir, `file-${i}`), '');
    process.stdout.write(`${scratch.dir}\n`);
    await once(createInterface({ input: process.stdin }), 'line');
    await scratch.dispose();
    await forever();
    break;
  }
  case 'remove': {
    process.stdout.write('ready\n');
    await once(createInterface({ input: process.stdin }), 'line');
    await removeThroughScratch(new StoreLayout(args[0]!), args[1]!);
    await forever();
    break;
  }
  case 'count': {
    const [root, file, times] = args;
    for (let i = 0; i < Number(times); i++) {
      await withLock(new StoreLayout(root!), 'counter', async () => {
        const value = Number(await readFile(file!, 'utf8').catch(() => '0'));
        await sleep(Math.random() * 3);
        await writeFile(file!, String(value + 1));
      });
    }
    break;
  }
  case 'try-lock': {
    try {
      await withLock(new StoreLayout(args[0]!), 'references', () => Promise.resolve());
      process.stdout.write('ok\n');
    } catch (err) {
      process.stdout.write(`${(err as Error).message}\n`);
    }
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
