/** Tags and digest references, each naming a manifest (or index), mirrored into index.json. */
export { ReferenceStore, type NamedManifest, type RecoveredReferences } from './reference-store.ts';
export type { ReferenceTarget, References } from './references-file.ts';
