/**
 * A child process for store concurrency tests: ingests `SIZE` bytes generated from `SEED` into the
 * store at `ROOT`, slowly when `SLOW` is set (so a parent can kill it mid-write), and prints the
 * resulting digest.
 */
import { ContentStore } from '../../src/store/content/index.ts';
import { openStoreLayout } from '../../src/store/layout.ts';
import { seededChunks } from './seeded-bytes.ts';

const [root, sizeText, seed, slow] = process.argv.slice(2);

async function* paced(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  for (const c of chunks) {
    process.stdout.write('.');
    if (slow) await new Promise((r) => setTimeout(r, 50));
    yield c;
  }
}

if (root && sizeText && seed) {
  const store = new ContentStore(await openStoreLayout(root));
  const { digest } = await store.ingest(paced(seededChunks(Number(sizeText), seed)));
  process.stdout.write(`\n${digest}\n`);
}
