/** TarSum: the legacy order-insensitive tar checksum, every version and variant upstream had. */
export * from './versions.ts';
export { tarsum, TarsumCalculator, selectedHeaderText, type TarsumOptions } from './tarsum.ts';
