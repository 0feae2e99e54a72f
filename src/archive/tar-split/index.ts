/** tar-split (spec §2.2): the metadata that, with the file bodies, gives back a layer's original tar bytes. */
export { Crc64 } from './crc64.ts';
export { FILE_ENTRY, SEGMENT_ENTRY, type TarSplitEntry } from './entry.ts';
export {
  readTarSplit,
  readTarSplitBatches,
  writeTarSplit,
  type ReadTarSplitOptions,
} from './metadata.ts';
export { disassembleTar } from './disassemble.ts';
export { reassembleTar } from './reassemble.ts';
