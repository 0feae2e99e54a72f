/** Layers by ChainID, registered from blobs of any compression, and what each blob holds. */
export {
  LayerStore,
  MAX_LAYER_DEPTH,
  type LayerRecord,
  type RegisterOptions,
} from './layer-store.ts';
export type { BlobInfo } from './blob-index.ts';
export { storedBlobFacts, type BlobFacts } from './blob-facts.ts';
