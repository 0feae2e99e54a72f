/** @module shale/store — the image graph on disk: content, layers, images, references. */
export * from './store.ts';
export { resolveStoreRoot, StoreLayout } from './layout.ts';
export * from './content/index.ts';
export * from './layers/index.ts';
export * from './images/index.ts';
export * from './refs/index.ts';
export { LegacyStore, type LegacyEntry, type NewLegacyEntry } from './legacy-ids.ts';
export { namedManifestOf, resolveImage, resolveTarget } from './resolve.ts';
export * from './gc.ts';
export { withLease, touch, type Lease } from './leases.ts';
export { createScratch, staleScratches, type Scratch } from './scratch.ts';
export { writeImages, ImageWrite, type NewImage } from './commit-image.ts';
export { heldIndex, storedIndexContent, type HeldManifest } from './index-content.ts';
export { SnapshotStore } from './snapshots.ts';
export { CheckoutStore } from './checkouts.ts';
export {
  sessionsOpenedOnUse,
  UploadSessionStore,
  type UploadSession,
  type UploadSessions,
} from './upload-sessions.ts';
export type { Descriptor } from './images/manifest.ts';
export * from './fsck/index.ts';
export { storeFailureContext } from './disk-errors.ts';
export { fileStamp } from './file-stamp.ts';
export { acquireLock, LOCK_WAIT_MS, type HeldLock, type LockOptions } from './lock.ts';
