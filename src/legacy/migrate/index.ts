/** Migration of a Docker 1.x graph root (vfs, aufs, overlay, btrfs) into the store, with Docker 1.10's image IDs. */
export {
  migrateDockerRoot,
  type MigrateOptions,
  type MigratedLegacyImage,
  type MigrationResult,
} from './migrate.ts';
export { LegacyGraph, type GraphImage } from './graph.ts';
export { graphDriver, type GraphDriver, type LayerFiles } from './drivers.ts';
