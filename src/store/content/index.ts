/** Content-addressed blob storage. */
export { ContentStore } from './content-store.ts';
export { adoptBlob } from './adopt.ts';
export { ingestBlob } from './ingest.ts';
export type { Expected, IngestResult } from './ingest.ts';
export { PartialBlob, type PartialOptions } from './partial.ts';
export type { QuarantinedBlob } from './quarantine.ts';
export type { VerifiedBlobStream } from './verified-read.ts';
