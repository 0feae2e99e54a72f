/** @module shale/store — the image graph on disk: content, layers, images. */
export * from './store.ts';
export { resolveStoreRoot, StoreLayout } from './layout.ts';
export * from './content/index.ts';
export * from './layers/index.ts';
export * from './images/index.ts';
