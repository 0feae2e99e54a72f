/**
 * @module shale/legacy — the Docker 1.x image graph, in one place: byte-exact legacy identity
 * (the strong IDs of 1.8.3/1.9 schema1 pulls, MakeImageConfig and probing, v1 JSON → 1.10 config,
 * CreateID and the per-history v1 images of legacy save), Go's JSON encoding that those IDs hash,
 * schema1 signed manifests, legacy-ID reuse and lazy TarSum checksums over the store, and the
 * migration of a 1.x graph root. The store's index of legacy IDs is `LegacyStore` (shale/store).
 */
export { makeImageConfig, legacyIdOf, strongIdChain, type StrongIdLink } from './image-config.ts';
export {
  decodeV1Image,
  historyFromV1Json,
  makeConfigFromV1Config,
  type ConfigHistoryEntry,
} from './v1-config.ts';
export { createV1Id, legacySaveLayers, type LegacySaveLayer } from './create-id.ts';
export {
  legacyHistoryImages,
  EMPTY_LAYER_TAR,
  EMPTY_LAYER_DIFF_ID,
  type LegacyHistoryImage,
} from './history-images.ts';
export { identifiedV1Json } from './identified-v1-json.ts';
export {
  legacyParentOf,
  migrateLegacyImage,
  migrateLegacyTags,
  type MigratedImage,
  type MigratedReference,
} from './migration.ts';
export { compareDockerVersions } from './go-version.ts';
export {
  parseSchema1Manifest,
  checkSchema1Manifest,
  verifySchema1Digest,
  type Schema1Manifest,
  type Schema1Signature,
  type ParsedSchema1,
} from './schema1/manifest.ts';
export { verifySchema1Signatures, type Schema1Signer } from './schema1/jws.ts';
export { libtrustKeyId, publicKeyFromJwk } from './schema1/libtrust-key.ts';
export { generateSchema1SigningKey, signSchema1Manifest } from './schema1/sign.ts';
export { fixManifestLayers, isThrowaway } from './schema1/fix-layers.ts';
export { schema1LayersToFetch, schema1ImageConfig } from './schema1/to-config.ts';
export {
  findReusableOrFreeId,
  validateLegacyEntry,
  type ChosenLegacyId,
  type LegacyPosition,
} from './id-reuse.ts';
export { ensureLayerTarsum, ensureLegacyChecksum } from './layer-checksum.ts';
export * from './migrate/index.ts';
