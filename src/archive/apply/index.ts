/** The secure layer applier: extract layer tars into a directory without ever leaving it. */
export { applyLayer } from './apply-layer.ts';
export { applyLayerBlob } from './apply-blob.ts';
export { cleanSegments } from './clean.ts';
export { MAX_SYMLINK_HOPS } from './resolve.ts';
export type {
  ApplyBlobOptions,
  ApplyOptions,
  ApplyResult,
  ApplyWarning,
  ApplyWarningCode,
} from './types.ts';
