/**
 * What a benchmark case is: shale's side and its peers' sides, timed alternately on the same
 * inputs. A side's untimed hooks prepare each run (fresh store, output removed, registry wiped)
 * and check and clean up after it; only its commands are timed.
 */
import type { Sample } from './measure.ts';

export interface Side {
  /** The command as shown in the table. */
  label: string;
  /** Untimed, before every run (warm-up included). */
  prepare?: () => Promise<void> | void;
  /** The processes of one run, back to back; asked after `prepare` (it may pick a fresh name). */
  commands: () => string[][];
  /**
   * Untimed, after every run, also a failed one (`samples` undefined): checks what the run
   * produced and removes it. A returned string is a problem: the side is then failed.
   */
  finish?: (samples: Sample[] | undefined) => Promise<string | void> | string | void;
}

/** A peer that cannot run here; it is printed as missing, never silently dropped. */
export interface MissingPeer {
  label: string;
  missing: string;
}

export type Peer = Side | MissingPeer;

export const isMissing = (peer: Peer): peer is MissingPeer => 'missing' in peer;

export interface BenchCase {
  /** Selectable with --only: the case name (`unpack`) or fixture-qualified (`many-small/unpack`). */
  name: string;
  fixture: string;
  title: string;
  /** What the MB/s column divides: uncompressed layer tars or the gzip'd blobs. */
  basis: 'tar' | 'gz';
  basisBytes: number;
  /** Files and directories read once (untimed) before the case: every side reads from memory. */
  inputs: string[];
  shale: Side;
  peers: Peer[];
  notes?: string[];
  /** Untimed, once before / after the case (e.g. load the image into the peer's store). */
  setup?: () => Promise<void> | void;
  teardown?: () => Promise<void> | void;
}

/** A case that cannot run here at all (e.g. no registry); printed with the reason. */
export interface SkippedCase {
  name: string;
  fixture: string;
  skipped: string;
}
