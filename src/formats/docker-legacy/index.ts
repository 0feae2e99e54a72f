/** The legacy docker-archive of Docker 1.6–1.9: writing it, staging its loads, and v1 IDs of 1.10+ loads. */
export { writeLegacyArchive } from './write.ts';
export { isLegacyArchive, stageLegacyArchive, type LegacyArchiveOptions } from './load.ts';
export { createIdLegacyIds } from './create-id-entries.ts';
export { encodeRepositories, parseRepositories, type LegacyTag } from './repositories.ts';
