/** @module shale/core — the vocabulary: digests, media types, image references, errors. No I/O. */
export * from './errors.ts';
export * from './digest.ts';
export * from './media-types.ts';
export * from './reference.ts';
export * from './ids.ts';
export * from './image-config.ts';
export * from './manifest.ts';
export * from './digest-schema.ts';
export * from './legacy-id.ts';
export * from './go-time.ts';
export * from './container-config.ts';
export * from './config-change/index.ts';
export { parseDockerTimestamp, parseGoDuration } from './timestamp.ts';
export { limitFromEnv } from './env-limit.ts';
export { parseByteSize } from './byte-size.ts';
export {
  describeNetworkFailure,
  describeStoreFailure,
  systemErrorReason,
  toShaleError,
  type NetworkFailure,
  type StoreFailureContext,
} from './system-errors.ts';
