/**
 * `copy`: an image between a registry (`docker://`), an OCI layout (`oci:DIR[:REF]`), the
 * archives (`oci-archive:`, `docker-archive:`) and the store (`store:REF`), in any direction,
 * through the ImageSource/ImageSink seam (registry/transfer) — streamed, verified, digests kept,
 * with the artifacts that refer to the image. The seam, the registry's and the store-as-source
 * ends live in the registry layer (push is a transfer too) and are re-exported here.
 */
export {
  copyImage,
  parseCopyEndpoint,
  endpointRegistry,
  type CopyEndpoint,
  type CopyOptions,
} from './endpoint.ts';
export {
  transferImage,
  RegistrySink,
  RegistrySource,
  StoreSource,
  type ImageSink,
  type ImageSource,
  type ResolvedManifest,
  type TransferOptions,
  type TransferResult,
} from '../../registry/index.ts';
export { LayoutSink, LayoutSource } from './layout-endpoints.ts';
export { DockerArchiveSource } from './docker-archive-source.ts';
export { OciArchiveSource } from './oci-archive-endpoints.ts';
export { StoreSink, copyIntoStore } from './store-sink.ts';
