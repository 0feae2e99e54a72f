/**
 * `copy`: an image between a registry (`docker://`) and an OCI layout (`oci:DIR[:REF]`), in any
 * direction, through the ImageSource/ImageSink seam — streamed, verified, digests kept.
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
export type { ImageSink, ImageSource, ResolvedManifest } from './seam.ts';
