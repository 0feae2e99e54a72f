/**
 * The tar header model that shale's reader produces and its writer consumes, and the typeflag
 * vocabulary. Text fields are byte strings (see bytes.ts); xattr and PAX values are raw bytes.
 */
import type { ByteString } from './bytes.ts';

export const TypeFlag = {
  regular: '0',
  regularOld: '\0',
  hardLink: '1',
  symlink: '2',
  charDevice: '3',
  blockDevice: '4',
  directory: '5',
  fifo: '6',
  contiguous: '7',
  paxHeader: 'x',
  paxGlobal: 'g',
  gnuLongName: 'L',
  gnuLongLink: 'K',
  gnuSparse: 'S',
  gnuDumpDir: 'D',
  gnuMultiVolume: 'M',
} as const;

/** Header layouts recognised from the magic field. */
export type TarFormat = 'v7' | 'ustar' | 'pax' | 'gnu' | 'star';

export interface TarHeader {
  /** Entry path exactly as stored (prefix joined, PAX/GNU overrides applied); a byte string. */
  name: ByteString;
  /** Mode bits as stored, including any file-type bits the writer put there. */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes that follow the header in the archive. */
  size: number;
  /** Modification time in whole seconds, and the sub-second part (PAX only). */
  mtime: number;
  mtimeNsec?: number;
  atime?: number;
  ctime?: number;
  /** The raw typeflag byte as a one-char string (may be `'\0'`). */
  typeflag: string;
  linkname: ByteString;
  uname: ByteString;
  gname: ByteString;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.*` records: attribute name (byte string) → raw value. */
  xattrs: Map<ByteString, Buffer>;
  /** Every PAX record that applied to this entry, in archive order of last occurrence. */
  paxRecords: Map<ByteString, Buffer>;
  format: TarFormat;
}

/** Fields a caller must give to write an entry; the rest default to zero/empty. */
export type TarHeaderInit = Pick<TarHeader, 'name'> & Partial<TarHeader>;

export function isDevice(typeflag: string): boolean {
  return typeflag === TypeFlag.charDevice || typeflag === TypeFlag.blockDevice;
}

/** Types whose `size` describes no data in the archive (POSIX; Go 1.10+ readers). */
export function isHeaderOnlyType(typeflag: string): boolean {
  return (
    typeflag === TypeFlag.hardLink ||
    typeflag === TypeFlag.symlink ||
    typeflag === TypeFlag.charDevice ||
    typeflag === TypeFlag.blockDevice ||
    typeflag === TypeFlag.directory ||
    typeflag === TypeFlag.fifo
  );
}

/** Where an entry's bytes sit in the archive stream (for byte-exact reassembly later). */
export interface TarEntryLocation {
  /** Offset of the first byte of this entry's metadata (its first PAX/GNU header, if any). */
  headerOffset: number;
  /** Every metadata byte from headerOffset up to the content: PAX/GNU headers, their bodies, the header block. */
  rawHeader: Buffer;
  /** Offset of the first content byte. */
  dataOffset: number;
  /** Zero padding after the content, up to the next 512-byte boundary. */
  paddingSize: number;
}
