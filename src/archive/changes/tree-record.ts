/**
 * Tree records: for every path of a tree, the metadata ChangesDirs compares (spec §7.3), in the
 * order the comparison walks (depth first, names in byte order). Recorded when a working tree
 * is written, a record stands in for the base tree in a later diff, so that diff needs no copy
 * of the base. One line per path (`[path, mode, uid, gid, rdev, size, "mtimeNs", capHex?]`,
 * JSON, the path a byte string) after a version line; read back line by line.
 */
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { ShaleError } from '../../core/errors.ts';
import { walkTree } from '../fs-entry.ts';
import type { ByteString } from '../tar/bytes.ts';
import { capabilityReader, type CapabilitySource } from './capability.ts';
import type { MetaStat } from './stat-compare.ts';

const VERSION_LINE = 'shale-tree-record 1';
const CHUNK = 1 << 20;

export interface RecordedEntry {
  /** `/`-prefixed path (`/etc/passwd`), one char per byte. */
  path: ByteString;
  stat: MetaStat;
  capability: Buffer | undefined;
}

/** Write the record of the tree at `dir` to `file` (created, must not exist), synced to disk. */
export function writeTreeRecord(
  dir: string,
  file: string,
  source: CapabilitySource = 'auto',
): void {
  const root = Buffer.from(dir);
  const caps = capabilityReader(root, source);
  const fd = openSync(file, 'wx', 0o644);
  try {
    let text = `${VERSION_LINE}\n`;
    for (const { path: abs, name, stats: st } of walkTree(root)) {
      const path = `/${name.toString('latin1')}`;
      const fields: (string | number)[] = [
        path,
        Number(st.mode),
        Number(st.uid),
        Number(st.gid),
        Number(st.rdev),
        Number(st.size),
        st.mtimeNs.toString(),
      ];
      const capability = caps(path, abs);
      if (capability !== undefined) fields.push(capability.toString('hex'));
      text += `${JSON.stringify(fields)}\n`;
      if (text.length >= CHUNK) {
        writeSync(fd, text);
        text = '';
      }
    }
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function corrupt(file: string, why: string): ShaleError {
  return new ShaleError('ERR_INVALID_ARGUMENT', `tree record ${file} is damaged: ${why}`);
}

function parseEntry(file: string, line: string): RecordedEntry {
  let fields: unknown;
  try {
    fields = JSON.parse(line);
  } catch {
    throw corrupt(file, `bad line ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (
    !Array.isArray(fields) ||
    fields.length < 7 ||
    typeof fields[0] !== 'string' ||
    !fields.slice(1, 6).every((n) => Number.isSafeInteger(n)) ||
    typeof fields[6] !== 'string' ||
    !/^-?\d+$/.test(fields[6]) ||
    (fields.length > 7 && typeof fields[7] !== 'string')
  ) {
    throw corrupt(file, `bad entry ${JSON.stringify(line.slice(0, 80))}`);
  }
  const [path, mode, uid, gid, rdev, size, mtimeNs, cap] = fields as [
    string,
    number,
    number,
    number,
    number,
    number,
    string,
    string | undefined,
  ];
  return {
    path,
    stat: {
      mode: BigInt(mode),
      uid: BigInt(uid),
      gid: BigInt(gid),
      rdev: BigInt(rdev),
      size: BigInt(size),
      mtimeNs: BigInt(mtimeNs),
    },
    capability: cap === undefined ? undefined : Buffer.from(cap, 'hex'),
  };
}

/** Reads a record one entry at a time (constant memory): `peek` the next entry, `next` past it. */
export class TreeRecordReader {
  private readonly fd: number;
  private readonly buffer = Buffer.alloc(CHUNK);
  private pending = Buffer.alloc(0);
  private lines: string[] = [];
  private ahead: RecordedEntry | undefined;
  private ended = false;

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'r');
    if (this.readLine() !== VERSION_LINE) {
      closeSync(this.fd);
      throw corrupt(file, `it does not start with "${VERSION_LINE}"`);
    }
    this.advance();
  }

  peek(): RecordedEntry | undefined {
    return this.ahead;
  }

  next(): void {
    this.advance();
  }

  close(): void {
    closeSync(this.fd);
  }

  private advance(): void {
    const line = this.readLine();
    this.ahead = line === undefined ? undefined : parseEntry(this.file, line);
  }

  /** The next line (split on bytes, then decoded: a UTF-8 character may straddle two chunks). */
  private readLine(): string | undefined {
    while (this.lines.length === 0 && !this.ended) {
      const n = readSync(this.fd, this.buffer, 0, CHUNK, null);
      if (n === 0) {
        this.ended = true;
        if (this.pending.length > 0) throw corrupt(this.file, 'its last line is cut short');
        break;
      }
      const data = Buffer.concat([this.pending, this.buffer.subarray(0, n)]);
      const last = data.lastIndexOf(0x0a);
      if (last < 0) {
        this.pending = data;
        continue;
      }
      this.lines = data.subarray(0, last).toString('utf8').split('\n').reverse();
      this.pending = Buffer.from(data.subarray(last + 1));
    }
    return this.lines.pop();
  }
}
