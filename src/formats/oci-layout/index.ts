/** OCI image layouts: loading from a directory, and the staging an oci-archive load shares. */
export {
  loadOciLayout,
  stageOciImages,
  type BlobSource,
  type LoadOptions,
  type LoadedImage,
} from './load.ts';
export { referenceForEntry } from './names.ts';
