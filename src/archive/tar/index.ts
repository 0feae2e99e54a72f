/** The tar codec: streaming reader and writer with Go archive/tar decoding rules. */
export * from './bytes.ts';
export * from './header.ts';
export { type TarDialect, BLOCK_SIZE } from './block.ts';
export { TarParser, type TarParserHandler, type TarParserOptions } from './parser.ts';
export { readTar, parseTar, type TarEntry } from './reader.ts';
export { TarWriter, type EntryBody } from './writer.ts';
export { untilTarEnd, TAR_RECORD_SIZE, type TarEndInfo } from './until-end.ts';
export { encodeHeader } from './encode.ts';
