/**
 * TarSum (spec §1): an order-insensitive checksum of a tar stream. Each entry's selected header
 * fields and content are hashed on their own; the sorted per-entry sums are hashed together,
 * after the optional `extra` bytes. One pass, constant memory (besides one sum per entry).
 */
import { createHash, getHashes, type Hash } from 'node:crypto';
import { ShaleError } from '../../core/errors.ts';
import type { TarEntryLocation, TarHeader } from '../tar/header.ts';
import type { TarParserHandler } from '../tar/parser.ts';
import { parseTar } from '../tar/reader.ts';
import { orderSums, type EntrySum } from './order.ts';
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
  if (version !== 'v0') {
    const keys = [...header.xattrs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) text += key + header.xattrs.get(key)!.toString('latin1');
  }
  return text;
}

/** A TarSum in progress; feed it to a TarParser (or use `tarsum()`), then call `checksum()`. */
export class TarsumCalculator implements TarParserHandler {
  readonly version: TarsumVersion;
  readonly variant: TarsumVariant;
  readonly hashName: string;
  private readonly extra: Uint8Array | undefined;
  private readonly sums: EntrySum[] = [];
  private current: Hash | undefined;
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
  }

  /** The reader dialect whose entries this variant hashes. */
  get dialect(): 'go1.4' | 'modern' {
    return this.variant === '2015' ? 'go1.4' : 'modern';
  }

  entry(header: TarHeader, _location: TarEntryLocation): void {
    this.current = createHash(this.hashName);
    this.current.update(selectedHeaderText(header, this.version, this.variant), 'latin1');
    this.currentName = header.name;
  }

  data(chunk: Buffer): void {
    this.current!.update(chunk);
  }

  entryEnd(): void {
    this.sums.push({
      name: this.currentName,
      sum: this.current!.digest('hex'),
      pos: this.sums.length,
    });
    this.current = undefined;
  }

  end(): void {
    this.ended = true;
  }

  /** The whole checksum string, e.g. `tarsum.v1+sha256:<hex>`. */
  checksum(): string {
    if (!this.ended) throw new ShaleError('ERR_BAD_TAR', 'tarsum: the archive has not ended');
    const final = createHash(this.hashName);
    if (this.extra) final.update(this.extra);
    for (const entry of orderSums(this.sums, this.variant)) final.update(entry.sum, 'latin1');
    return `${versionLabel(this.version)}+${this.hashName}:${final.digest('hex')}`;
  }
}

/** TarSum of a whole (uncompressed) tar stream. */
export async function tarsum(
  source: AsyncIterable<Uint8Array>,
  options: TarsumOptions = {},
): Promise<string> {
  const calculator = new TarsumCalculator(options);
  await parseTar(source, calculator, { dialect: calculator.dialect });
  return calculator.checksum();
}
