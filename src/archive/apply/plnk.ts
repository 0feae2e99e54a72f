/**
 * AUFS hard-link sources (spec §6): bodies of `.wh..wh.plnk/<name>` entries are kept in a private
 * temp dir outside the root, so hard links into `.wh..wh.plnk` can be materialised as files.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ByteString, TarEntry, TarHeader } from '../tar/index.ts';

export class PlnkStash {
  private readonly saved = new Map<ByteString, { header: TarHeader; file: string }>();
  private dir: string | undefined;

  async stash(name: ByteString, entry: TarEntry): Promise<void> {
    this.dir ??= await fs.mkdtemp(path.join(os.tmpdir(), 'shale-plnk-'));
    const file = path.join(this.dir, String(this.saved.size));
    const out = await fs.open(file, 'wx', 0o600);
    try {
      for await (const chunk of entry.body) await out.write(chunk);
    } finally {
      await out.close();
    }
    this.saved.set(name, { header: entry.header, file });
  }

  get(name: ByteString): { header: TarHeader; file: string } | undefined {
    return this.saved.get(name);
  }

  async cleanup(): Promise<void> {
    if (this.dir !== undefined) await fs.rm(this.dir, { recursive: true, force: true });
  }
}
