/** Changes between two directory trees (spec §7.3–7.4): listing them, sizing them, exporting them as a layer. */
export { type Change, type ChangeKind, comparePaths, sortChanges } from './types.ts';
export { changes, changesSinceRecord } from './diff.ts';
export { writeTreeRecord } from './tree-record.ts';
export { exportChanges, type ExportOptions } from './export.ts';
export { changesSize } from './size.ts';
