/** The legacy (v1) identity of stored images: the index of legacy IDs, ID reuse, lazy checksums. */
export { LegacyStore, type LegacyEntry, type NewLegacyEntry } from './legacy-store.ts';
export {
  findReusableOrFreeId,
  validateLegacyEntry,
  type ChosenLegacyId,
  type LegacyPosition,
} from './id-reuse.ts';
export { ensureLayerTarsum, ensureLegacyChecksum } from './layer-checksum.ts';
