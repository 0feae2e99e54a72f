/** Images by ID (the digest of their config bytes). */
export { ImageStore, type ImageRecord } from './image-store.ts';
