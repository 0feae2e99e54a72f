/** Content-addressed blob storage. */
export { ContentStore } from './content-store.ts';
export type { Expected, IngestResult } from './ingest.ts';
export { PartialBlob, type PartialOptions } from './partial.ts';
