/** Writes entries with shale's TarWriter and collects the whole archive in memory (small archives only: tests, bench setup). */
import { TarWriter, type EntryBody, type TarHeaderInit } from '../src/archive/tar/index.ts';

export async function tarBytes(
  entries: { header: TarHeaderInit; body?: EntryBody }[],
): Promise<Buffer> {
  const writer = new TarWriter();
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    writer.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    writer.stream.on('end', resolve);
    writer.stream.on('error', reject);
  });
  const produce = (async () => {
    for (const e of entries) await writer.add(e.header, e.body);
    await writer.finish();
  })();
  await Promise.all([produce, ended]);
  return Buffer.concat(chunks);
}
