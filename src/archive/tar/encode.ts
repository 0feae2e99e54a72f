/**
 * Encoding one entry's header: a ustar block, preceded by a PAX `x` header when a value does not
 * fit ustar (long names and link targets, big numbers, sub-second mtimes, xattrs).
 */
import { ShaleError } from '../../core/errors.ts';
import { BLOCK_SIZE, checksum, field, type FieldName } from './block.ts';
import type { ByteString } from './bytes.ts';
import { isDevice, TypeFlag, type TarHeaderInit } from './header.ts';
import { octalCapacity, writeBase256, writeOctal } from './numbers.ts';
import { encodePaxRecord, XATTR_PREFIX } from './pax.ts';

const NAME_MAX = 100;
const PREFIX_MAX = 155;

function putText(block: Buffer, name: FieldName, text: ByteString): void {
  if (text.includes('\0')) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `tar header field ${name} cannot contain a NUL byte`,
    );
  }
  const target = field(block, name);
  target.fill(0);
  Buffer.from(text, 'latin1').copy(target, 0, 0, target.length);
}

function fits(text: ByteString, max: number): boolean {
  return text.length <= max; // byte strings: one char per byte
}

/** Split a long name into ustar prefix + name at a slash, when possible. */
function splitUstarName(name: ByteString): { prefix: ByteString; name: ByteString } | undefined {
  if (fits(name, NAME_MAX)) return { prefix: '', name };
  const limit = Math.min(name.length - 1, PREFIX_MAX);
  for (let i = limit; i > 0; i--) {
    if (name[i] !== '/') continue;
    const rest = name.slice(i + 1);
    if (rest.length === 0 || !fits(rest, NAME_MAX)) return undefined;
    return { prefix: name.slice(0, i), name: rest };
  }
  return undefined;
}

function numberField(
  block: Buffer,
  name: FieldName,
  value: number,
  pax: Map<string, Buffer>,
  paxKey?: string,
): void {
  const target = field(block, name);
  if (writeOctal(target, value)) return;
  if (!Number.isSafeInteger(value)) {
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `tar header field ${name} must be an integer, got ${value}`,
    );
  }
  if (paxKey) {
    pax.set(paxKey, Buffer.from(String(value), 'latin1'));
    writeOctal(target, value < 0 ? 0 : Math.min(value, octalCapacity(target.length)));
  } else {
    writeBase256(target, value);
  }
}

function finishBlock(block: Buffer): void {
  const chk = field(block, 'chksum');
  chk.fill(0x20);
  const sum = checksum(block);
  writeOctal(chk.subarray(0, 7), sum);
  chk[7] = 0x20;
}

/** Build the bare ustar block for `header`; values that do not fit go into `pax`. */
function ustarBlock(header: TarHeaderInit, pax: Map<string, Buffer>): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  const typeflag = header.typeflag ?? TypeFlag.regular;
  if (typeflag.length !== 1)
    throw new ShaleError(
      'ERR_INVALID_ARGUMENT',
      `tar typeflag must be one byte, got ${JSON.stringify(typeflag)}`,
    );
  const split = splitUstarName(header.name);
  if (split) {
    putText(block, 'name', split.name);
    putText(block, 'prefix', split.prefix);
  } else {
    putText(block, 'name', header.name.slice(0, NAME_MAX));
    pax.set('path', Buffer.from(header.name, 'latin1'));
  }
  const linkname = header.linkname ?? '';
  putText(block, 'linkname', linkname);
  if (!fits(linkname, NAME_MAX)) pax.set('linkpath', Buffer.from(linkname, 'latin1'));
  for (const [key, value] of [
    ['uname', header.uname ?? ''],
    ['gname', header.gname ?? ''],
  ] as const) {
    putText(block, key, value);
    if (!fits(value, 32)) pax.set(key, Buffer.from(value, 'latin1'));
  }
  numberField(block, 'mode', header.mode ?? 0o644, pax);
  numberField(block, 'uid', header.uid ?? 0, pax, 'uid');
  numberField(block, 'gid', header.gid ?? 0, pax, 'gid');
  numberField(block, 'size', header.size ?? 0, pax, 'size');
  const mtime = header.mtime ?? 0;
  numberField(block, 'mtime', mtime, pax, 'mtime');
  if (header.mtimeNsec) {
    const sign = mtime < 0 || header.mtimeNsec < 0 ? '-' : '';
    const frac = String(Math.abs(header.mtimeNsec)).padStart(9, '0').replace(/0+$/, '');
    pax.set('mtime', Buffer.from(`${sign}${Math.abs(mtime)}.${frac}`, 'latin1'));
  }
  block[156] = typeflag.charCodeAt(0);
  block.write('ustar\0' + '00', 257, 'latin1');
  if (isDevice(typeflag) || header.devmajor || header.devminor) {
    numberField(block, 'devmajor', header.devmajor ?? 0, pax);
    numberField(block, 'devminor', header.devminor ?? 0, pax);
  }
  for (const [name, value] of header.xattrs ?? []) pax.set(XATTR_PREFIX + name, value);
  for (const [key, value] of header.paxRecords ?? []) if (!pax.has(key)) pax.set(key, value);
  finishBlock(block);
  return block;
}

function paxHeaderName(name: ByteString): ByteString {
  const base = name.replace(/\/+$/, '').split('/').pop() ?? '';
  return `PaxHeaders/${base}`.slice(0, NAME_MAX);
}

/** All header bytes for one entry: an optional PAX header (with its padded body), then the ustar block. */
export function encodeHeader(header: TarHeaderInit): Buffer {
  const pax = new Map<string, Buffer>();
  const block = ustarBlock(header, pax);
  if (pax.size === 0) return block;
  const records = Buffer.concat([...pax].map(([k, v]) => encodePaxRecord(k, v)));
  const paxBlock = ustarBlock(
    {
      name: paxHeaderName(header.name),
      mode: 0o644,
      size: records.length,
      mtime: 0,
      typeflag: TypeFlag.paxHeader,
    },
    new Map(),
  );
  const pad = Buffer.alloc((BLOCK_SIZE - (records.length % BLOCK_SIZE)) % BLOCK_SIZE);
  return Buffer.concat([paxBlock, records, pad, block]);
}
