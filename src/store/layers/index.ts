/** Layers by ChainID, registered from blobs of any compression. */
export {
  LayerStore,
  MAX_LAYER_DEPTH,
  type LayerRecord,
  type BlobInfo,
  type RegisterOptions,
} from './layer-store.ts';
