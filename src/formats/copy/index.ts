/**
 * `copy`: an image between a registry (`docker://`), an OCI layout (`oci:DIR[:REF]`), the
 * archives (`oci-archive:`, `docker-archive:`) and the store (`store:REF`), in any direction,
 * through the ImageSource/ImageSink seam — streamed, verified, digests kept, with
 * the artifacts that refer to the image.
 */
export {
  copyImage,
  parseCopyEndpoint,
  endpointRegistry,
  type CopyEndpoint,
  type CopyOptions,
} from './endpoint.ts';
export { transferImage, type TransferOptions, type TransferResult } from './copy.ts';
export { LayoutSink, LayoutSource } from './layout-endpoints.ts';
export { RegistrySink, RegistrySource } from './registry-endpoints.ts';
export { DockerArchiveSource } from './docker-archive-source.ts';
export { OciArchiveSource } from './oci-archive-endpoints.ts';
export { StoreSource } from './store-source.ts';
export { StoreSink, copyIntoStore } from './store-sink.ts';
export type { ImageSink, ImageSource, ResolvedManifest } from './seam.ts';
