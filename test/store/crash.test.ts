// Crash consistency: a process doing load, import, commit, rmi and prune is killed with SIGKILL
// at random points; after every kill each listed image unpacks, every blob matches its digest,
// and the metadata parses. Nothing half-written is visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from '../helpers/demo.ts';
import { fileURLToPath } from 'node:url';
import { unpackImage } from '../../src/trees/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../helpers/crash-child.ts', import.meta.url));
const ROUNDS = 20;

async function verify(store: Store, scratch: string, round: number): Promise<void> {
  const blobs = path.join(store.layout.root, 'blobs', 'sha256');
  for (const name of readdirSync(blobs)) {
    const hex = createHash('sha256')
      .update(readFileSync(path.join(blobs, name)))
      .digest('hex');
    assert.equal(hex, name, `round ${round}: blob ${name} is whole`);
  }
  JSON.parse(readFileSync(store.layout.indexFile, 'utf8'));
  const references = await store.references.all();
  for (const id of await store.images.ids()) {
    const target = path.join(scratch, `r${round}-${id.slice(7, 19)}`);
    await unpackImage(store, id, target);
    rmSync(target, { recursive: true, force: true });
  }
  for (const [ref, id] of Object.entries(references)) {
    assert.ok(await store.images.get(id), `round ${round}: ${ref} names an existing image`);
  }
}

test(`a store survives SIGKILL at ${ROUNDS} random points`, async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-crash-'));
  runDemo(path.join(work, 'demo'));
  const root = path.join(work, 'store');
  let rounds = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CHILD,
        root,
        path.join(work, 'demo', 'oci'),
        path.join(repo, 'examples', 'rootfs'),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let output = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    // Kill only once the child works: at a random point, except that the first kill waits for a
    // whole round so that later kills land in a store with content.
    const wanted = i === 0 ? /^round 0$/m : /^ready$/m;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (wanted.test(output)) resolve();
      });
      void exited.then(() => reject(new Error(`the child exited early: ${stderr}`)));
    });
    await new Promise((r) => setTimeout(r, i === 0 ? 0 : Math.random() * 2000));
    child.kill('SIGKILL');
    assert.equal(await exited, null, `the child was still working when killed (${stderr})`);
    rounds += (output.match(/^round /gm) ?? []).length;
    await verify(await openStore(root), work, i);
  }
  assert.ok(rounds > 0, 'the child completed some rounds between kills');
  rmSync(work, { recursive: true, force: true });
});
