/**
 * The transfer seam (go-containerregistry's remote/layout siblings, in small): `ImageSource` and
 * `ImageSink`, `transferImage` between them (plan, blobs verified on the way, manifests byte for
 * byte, referrers), and the registry's and the store's ends of it. `pushImage` is a transfer from
 * the store to a registry; `copy` (formats/copy) adds the layout and archive ends.
 */
export type {
  BlobBytes,
  Descriptor,
  ImageSink,
  ImageSource,
  ReferrerDescriptor,
  ResolvedManifest,
} from './seam.ts';
export { transferImage, type TransferOptions, type TransferResult } from './transfer.ts';
export { RegistrySink, RegistrySource, MAX_MANIFEST_BYTES } from './registry-endpoints.ts';
export { StoreSource } from './store-source.ts';
export { isDamage, sha256Of, verifyBytes } from './verify.ts';
