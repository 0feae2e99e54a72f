/**
 * Progress of pulls and pushes as typed events: what the CLI draws as per-layer bars or prints as
 * JSON lines, and what library callers receive through `onProgress`.
 */
import type { Digest } from '../core/digest.ts';

export type LayerStatus =
  | 'waiting'
  | 'downloading'
  | 'verifying'
  /** Pull: the blob is verified and in the store; its layer registers when the image commits. */
  | 'downloaded'
  | 'extracting'
  | 'pushing'
  | 'mounted'
  | 'exists'
  | 'done';

export type TransferEvent =
  | { type: 'resolving'; reference: string }
  | { type: 'resolved'; reference: string; digest: Digest }
  | {
      type: 'layer';
      digest: Digest;
      status: LayerStatus;
      /** Bytes transferred so far and the blob's size, while downloading or pushing. */
      current?: number;
      total?: number;
      /** `mounted`: the repository (its path on the same registry) the blob was mounted from. */
      from?: string;
      /** Push: the layer's DiffID (docker names a pushed layer by it). */
      diffId?: Digest;
      /** Pull (`downloading`, `downloaded`): the repository that serves the blob, `host/path` — a mirror's or the origin's. */
      endpoint?: string;
    }
  | {
      type: 'done';
      reference: string;
      id: Digest;
      /** Pull: the digest the reference named (an index's for a multi-platform image). Push: the manifest's. */
      digest: Digest;
      /** Pull only: whether the reference names another image than before the pull. */
      updated?: boolean;
      /**
       * Pull of a schema2 or OCI manifest only: whether its image was in the store before the
       * pull (Docker then shows no layers at all).
       */
      existed?: boolean;
    };

export type ProgressListener = (event: TransferEvent) => void;
