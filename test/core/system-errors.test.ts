// toShaleError on errno errors raised by real system calls: one line naming what was being done,
// the path, the failure and what to do; anything it does not know stays undefined (a bug).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ShaleError } from '../../src/core/errors.ts';
import { systemErrorReason, toShaleError } from '../../src/core/system-errors.ts';

const work = mkdtempSync(path.join(tmpdir(), 'shale-system-errors-'));
const file = path.join(work, 'file');
writeFileSync(file, 'x');
after(() => rmSync(work, { recursive: true, force: true }));

async function failure(act: () => Promise<unknown>): Promise<unknown> {
  return act().then(
    () => assert.fail('expected the call to fail'),
    (err: unknown) => err,
  );
}

test('a missing file: cannot open PATH, ERR_NOT_FOUND', async () => {
  const missing = path.join(work, 'missing');
  const err = toShaleError(await failure(() => open(missing)));
  assert.ok(err instanceof ShaleError);
  assert.equal(err.code, 'ERR_NOT_FOUND');
  assert.equal(err.message, `cannot open ${missing}: no such file or directory — check the path`);
});

test('a path under a file, a directory made over a file, a directory renamed onto', async () => {
  const under = path.join(file, 'x');
  assert.equal(
    toShaleError(await failure(() => readdir(under)))?.message,
    `cannot list ${under}: not a directory — check the path`,
  );
  assert.match(
    toShaleError(await failure(() => mkdir(file)))!.message,
    /^cannot create .*\/file: it already exists — /,
  );
  const dir = path.join(work, 'dir');
  await mkdir(dir);
  assert.match(
    toShaleError(await failure(() => rename(file, dir)))!.message,
    /^cannot rename .*\/file as .*\/dir: it is a directory — give a file$/,
  );
});

test('a write to a full device says so', async () => {
  const handle = await open('/dev/full', 'w');
  try {
    const err = toShaleError(await failure(() => handle.write(Buffer.from('x'))));
    assert.equal(
      err?.message,
      'no space left on the device during write — free some space and try again',
    );
    assert.equal(systemErrorReason(err?.cause), 'no space left on the device');
  } finally {
    await handle.close();
  }
});

test('an error that is not a system failure is left to the caller', () => {
  assert.equal(toShaleError(new TypeError('x is not a function')), undefined);
  assert.equal(toShaleError('a string'), undefined);
});
