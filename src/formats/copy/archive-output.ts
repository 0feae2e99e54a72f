/**
 * The tar file a copy writes (oci-archive, docker-archive), as a pending archive file
 * (../save/archive-file.ts): whole or not at all. Entries are appended one at a time, in the order
 * their writes were asked for (blobs copied several at once queue here).
 */
import { pipeline } from 'node:stream/promises';
import { TarWriter } from '../../archive/tar/index.ts';
import { checkArchiveDestination, PendingArchiveFile } from '../save/archive-file.ts';
import { TarSink } from '../save/sink.ts';

/** The temporary file being written, the tar going into it, and the end of that writing. */
interface Writing {
  file: PendingArchiveFile;
  tar: TarWriter;
  sink: TarSink;
  written: Promise<void>;
}

export class ArchiveOutput {
  #writing: Writing | undefined;
  /** The last entry asked for: each waits for the one before it. */
  #tail: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  /**
   * An output for `file`, refused now (before any work) when the archive could not replace it:
   * a directory, device, FIFO or socket, or a missing parent directory.
   */
  static async check(file: string): Promise<ArchiveOutput> {
    await checkArchiveDestination(file);
    return new ArchiveOutput(file);
  }

  /** Run `write` on the archive once the entries asked for before it are written. */
  append(write: (sink: TarSink) => Promise<void>): Promise<void> {
    const next = this.#tail.then(async () => write((await this.#open()).sink));
    this.#tail = next;
    return next;
  }

  /** End the archive and put it in place; the previous file of that name, if any, is replaced. */
  async commit(): Promise<void> {
    await this.#tail;
    const { file, tar, written } = await this.#open();
    await tar.finish();
    await written;
    await file.publish();
    this.#writing = undefined;
  }

  /** Remove what was written (after a failure); the destination is left as it was. */
  async discard(): Promise<void> {
    const writing = this.#writing;
    if (writing === undefined) return;
    this.#writing = undefined;
    writing.tar.stream.destroy();
    await writing.written.catch(() => undefined);
    await writing.file.discard();
  }

  async #open(): Promise<Writing> {
    if (this.#writing) return this.#writing;
    const file = await PendingArchiveFile.open(this.file);
    const tar = new TarWriter();
    const written = pipeline(tar.stream, file.stream);
    written.catch(() => undefined); // observed by commit or discard
    this.#writing = { file, tar, sink: new TarSink(tar), written };
    return this.#writing;
  }
}
