/**
 * Where a save writes an image layout: into a tar stream (docker-archive, oci-archive) or into a
 * directory (oci-dir). Files are streamed and must be exactly their declared size.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  TypeFlag,
  utf8ToByteString,
  type EntryBody,
  type TarWriter,
} from '../../archive/tar/index.ts';
import { ShaleError } from '../../core/errors.ts';

/** The `oci-layout` file every layout starts with. */
export const OCI_LAYOUT_MARKER = Buffer.from('{"imageLayoutVersion":"1.0.0"}');

export interface FileOptions {
  size: number;
  /** Modification time, seconds since the epoch (default 0, as docker save). */
  mtime?: number;
}

export interface LayoutSink {
  directory(name: string): Promise<void>;
  file(name: string, body: EntryBody, options: FileOptions): Promise<void>;
}

/** Entries of a tar archive, with fixed owners and modes so the same images give the same bytes. */
export class TarSink implements LayoutSink {
  constructor(private readonly tar: TarWriter) {}

  directory(name: string): Promise<void> {
    return this.tar.add({
      name: utf8ToByteString(`${name}/`),
      typeflag: TypeFlag.directory,
      mode: 0o755,
    });
  }

  file(name: string, body: EntryBody, { size, mtime = 0 }: FileOptions): Promise<void> {
    return this.tar.add({ name: utf8ToByteString(name), mode: 0o644, size, mtime }, body);
  }

  symlink(name: string, target: string): Promise<void> {
    return this.tar.add({
      name: utf8ToByteString(name),
      typeflag: TypeFlag.symlink,
      linkname: utf8ToByteString(target),
      mode: 0o777,
    });
  }
}

async function* counted(body: EntryBody, name: string, size: number): AsyncGenerator<Uint8Array> {
  let written = 0;
  for await (const chunk of body instanceof Uint8Array ? [body] : body) {
    written += chunk.length;
    yield chunk;
  }
  if (written !== size) {
    throw new ShaleError(
      'ERR_SIZE_MISMATCH',
      `${name} should be ${size} bytes but ${written} were written`,
    );
  }
}

/** Files under a directory (created new: nothing is overwritten). */
export class DirectorySink implements LayoutSink {
  constructor(private readonly root: string) {}

  async directory(name: string): Promise<void> {
    await mkdir(path.join(this.root, name), { recursive: true });
  }

  async file(name: string, body: EntryBody, { size }: FileOptions): Promise<void> {
    await pipeline(
      Readable.from(counted(body, name, size)),
      createWriteStream(path.join(this.root, name), { flags: 'wx', mode: 0o644 }),
    );
  }
}
