/**
 * TarSum (spec §1): an order-insensitive checksum of a tar stream. Each entry's selected header
 * fields and content are hashed on their own; the sorted per-entry sums are hashed together,
 * after the optional `extra` bytes. One pass, constant memory (besides one sum per entry). An
 * entry that fits a scratch buffer (most do) is hashed in one call, without a Hash object.
 */
import { createHash, getHashes, hash, type Hash } from 'node:crypto';
import { ShaleError } from '../../core/errors.ts';
import type { TarEntryLocation, TarHeader } from '../tar/header.ts';
import type { TarParserHandler } from '../tar/parser.ts';
import { parseTar } from '../tar/reader.ts';
import { EntrySums } from './order.ts';
import { versionLabel, type TarsumVariant, type TarsumVersion } from './versions.ts';

export interface TarsumOptions {
  /** v0 hashes mtime and ignores xattrs; v1 and dev drop mtime and hash xattrs (default v1). */
  version?: TarsumVersion;
  /** 2015: Docker 1.6–1.8 (default); 2018: moby with Go 1.11+ (blank uname/gname, `0` for NUL typeflag). */
  variant?: TarsumVariant;
  /** node:crypto hash name (default sha256); labels from the registry only ever use sha256/sha512. */
  hash?: string;
  /** Bytes fed to the final hash before the per-entry sums (an image's JSON, upstream). */
  extra?: Uint8Array;
}

/** The header text hashed for one entry: `key` and value pairs back to back. */
export function selectedHeaderText(
  header: TarHeader,
  version: TarsumVersion,
  variant: TarsumVariant,
): string {
  const blankNames = variant === '2018';
  let text =
    `name${header.name}mode${header.mode}uid${header.uid}gid${header.gid}size${header.size}` +
    (version === 'v0' ? `mtime${header.mtime}` : '') +
    `typeflag${header.typeflag}linkname${header.linkname}` +
    `uname${blankNames ? '' : header.uname}gname${blankNames ? '' : header.gname}` +
    `devmajor${header.devmajor}devminor${header.devminor}`;
  if (version !== 'v0' && header.xattrs.size > 0) {
    const keys = [...header.xattrs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) text += key + header.xattrs.get(key)!.toString('latin1');
  }
  return text;
}

/** Entries whose header text and content fit this many bytes are hashed in one call. */
const SCRATCH_SIZE = 64 * 1024;

/** A TarSum in progress; feed it to a TarParser (or use `tarsum()`), then call `checksum()`. */
export class TarsumCalculator implements TarParserHandler {
  readonly version: TarsumVersion;
  readonly variant: TarsumVariant;
  readonly hashName: string;
  private readonly extra: Uint8Array | undefined;
  private readonly sums: EntrySums;
  /** The current entry's bytes, while they fit; then `streaming` hashes them instead. */
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
  private filled = 0;
  private streaming: Hash | undefined;
  private currentName = '';
  private ended = false;

  constructor(options: TarsumOptions = {}) {
    this.version = options.version ?? 'v1';
    this.variant = options.variant ?? '2015';
    this.hashName = options.hash ?? 'sha256';
    this.extra = options.extra;
    if (!getHashes().includes(this.hashName)) {
      throw new ShaleError('ERR_UNSUPPORTED', `unknown hash ${JSON.stringify(this.hashName)}`);
    }
    this.sums = new EntrySums(createHash(this.hashName).digest().length, this.variant);
  }

  /** The reader dialect whose entries this variant hashes. */
  get dialect(): 'go1.4' | 'modern' {
    return this.variant === '2015' ? 'go1.4' : 'modern';
  }

  entry(header: TarHeader, _location: TarEntryLocation): void {
    const text = selectedHeaderText(header, this.version, this.variant);
    this.currentName = header.name;
    this.streaming = undefined;
    this.filled = 0;
    if (text.length <= SCRATCH_SIZE) this.filled = this.scratch.write(text, 'latin1');
    else this.streaming = createHash(this.hashName).update(text, 'latin1');
  }

  data(chunk: Buffer): void {
    if (this.streaming === undefined && this.filled + chunk.length > SCRATCH_SIZE) {
      this.streaming = createHash(this.hashName).update(this.scratch.subarray(0, this.filled));
    }
    if (this.streaming !== undefined) this.streaming.update(chunk);
    else {
      this.scratch.set(chunk, this.filled); // a plain memcpy, cheaper than Buffer#copy
      this.filled += chunk.length;
    }
  }

  entryEnd(): void {
    // 'binary' (latin1): the digest's bytes as a short string, the cheapest form hash() returns.
    const digest =
      this.streaming !== undefined
        ? this.streaming.digest()
        : hash(this.hashName, this.scratch.subarray(0, this.filled), 'binary');
    this.sums.add(this.currentName, digest);
    this.streaming = undefined;
  }

  end(): void {
    this.ended = true;
  }

  /** The whole checksum string, e.g. `tarsum.v1+sha256:<hex>`. */
  checksum(): string {
    if (!this.ended) throw new ShaleError('ERR_BAD_TAR', 'tarsum: the archive has not ended');
    const final = createHash(this.hashName);
    if (this.extra) final.update(this.extra);
    // The sums go to the hash many at a time, not one call each.
    for (const hex of this.sums.hexInOrder(SCRATCH_SIZE)) final.update(hex);
    return `${versionLabel(this.version)}+${this.hashName}:${final.digest('hex')}`;
  }
}

/** TarSum of a whole (uncompressed) tar stream. */
export async function tarsum(
  source: AsyncIterable<Uint8Array>,
  options: TarsumOptions = {},
): Promise<string> {
  const calculator = new TarsumCalculator(options);
  await parseTar(source, calculator, { dialect: calculator.dialect, rawHeaders: false });
  return calculator.checksum();
}
