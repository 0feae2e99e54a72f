/**
 * Hand-made tar archives for the hostile-input tests, written with shale's own TarWriter so each
 * entry (names with `..`, absolute paths, symlinks, hard links) is exactly as the test says.
 */
import { TarWriter, TypeFlag } from '../../src/archive/tar/index.ts';

export type TarSpec =
  | { name: string; body: string | Buffer }
  | { name: string; symlink: string }
  | { name: string; hardlink: string };

export async function tarOf(entries: TarSpec[]): Promise<Buffer> {
  const tar = new TarWriter();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of tar.stream) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const name = Buffer.from(entry.name).toString('latin1');
    if ('body' in entry) {
      await tar.add({ name, mode: 0o644 }, Buffer.from(entry.body));
    } else if ('symlink' in entry) {
      await tar.add({ name, typeflag: TypeFlag.symlink, linkname: entry.symlink, mode: 0o777 });
    } else {
      await tar.add({ name, typeflag: TypeFlag.hardLink, linkname: entry.hardlink, mode: 0o644 });
    }
  }
  await tar.finish();
  await collected;
  return Buffer.concat(chunks);
}
