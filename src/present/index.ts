/**
 * @module shale/present — local images in the shapes the Docker CLI and Engine API show them
 * (`docker images`, `inspect`, `history`, the image filters). Both shells, the CLI and
 * `shale serve`, print these values, so they agree.
 */
export * from './describe.ts';
export * from './image-filters.ts';
export * from './engine.ts';
export * from './prune-filters.ts';
export * from './disk-usage.ts';
export { humanSize } from './human-size.ts';
export { loadReport } from './load-report.ts';
export { DescriptionCache } from './description-cache.ts';
export { shaleVersion } from './version.ts';
