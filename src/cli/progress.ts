/**
 * Drawing transfer progress: one line per layer redrawn in place on a TTY (docker-style), JSON
 * lines with `--progress=json`, nothing with `--quiet`. Progress goes to stderr; stdout carries
 * only the command's result (image IDs, digests).
 */
import type { Digest } from '../core/index.ts';
import type { LayerStatus, ProgressListener, TransferEvent } from '../registry/index.ts';
import { humanSize } from './format.ts';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

const LABELS: Record<LayerStatus, string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying',
  downloaded: 'Downloaded',
  extracting: 'Extracting',
  pushing: 'Pushing',
  mounted: 'Mounted from another repository',
  exists: 'Already exists',
  done: 'Done',
};

/** How to report: the `--progress` value and `--quiet`, else TTY bars or plain lines. */
export function progressMode(flags: { quiet?: boolean; progress?: string }): ProgressMode {
  if (flags.quiet) return 'quiet';
  if (flags.progress === 'json') return 'json';
  if (flags.progress === 'plain') return 'plain';
  return process.stderr.isTTY ? 'tty' : 'plain';
}

function bar(current: number, total: number): string {
  const width = 30;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  return `[${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}] ${humanSize(current)}/${humanSize(total)}`;
}

function short(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

function describe(event: TransferEvent & { type: 'layer' }): string {
  const moving = event.status === 'downloading' || event.status === 'pushing';
  const amount =
    moving && event.total !== undefined ? ` ${bar(event.current ?? 0, event.total)}` : '';
  return `${short(event.digest)}: ${LABELS[event.status]}${amount}`;
}

function headline(event: Exclude<TransferEvent, { type: 'layer' }>): string {
  switch (event.type) {
    case 'resolving':
      return `Resolving ${event.reference}`;
    case 'resolved':
      return `${event.reference}: manifest ${event.digest}`;
    case 'done':
      return `Digest: ${event.digest}`;
  }
}

/**
 * A closing line such as docker's `Status: Downloaded newer image for alpine:latest`: as it is in
 * tty and plain mode, `{"type":"status","status":…}` in json mode, nothing with --quiet.
 */
export function reportStatus(
  mode: ProgressMode,
  status: string,
  out: NodeJS.WriteStream = process.stderr,
): void {
  if (mode === 'json') out.write(`${JSON.stringify({ type: 'status', status })}\n`);
  else if (mode !== 'quiet') out.write(`${status}\n`);
}

/** A listener that renders events in `mode` on `out` (stderr by default). */
export function progressRenderer(
  mode: ProgressMode,
  out: NodeJS.WriteStream = process.stderr,
): ProgressListener {
  if (mode === 'quiet') return () => undefined;
  if (mode === 'json') return (event) => out.write(`${JSON.stringify(event)}\n`);
  if (mode === 'plain') {
    // One line per change of status (not per chunk), for logs.
    const last = new Map<Digest, LayerStatus>();
    return (event) => {
      if (event.type !== 'layer') return void out.write(`${headline(event)}\n`);
      if (last.get(event.digest) === event.status) return;
      last.set(event.digest, event.status);
      out.write(`${describe(event)}\n`);
    };
  }
  const rows: Digest[] = [];
  const lines = new Map<Digest, string>();
  let lastDraw = 0;
  return (event) => {
    if (event.type !== 'layer') return void out.write(`${headline(event)}\n`);
    if (!lines.has(event.digest)) {
      rows.push(event.digest);
      out.write('\n');
    }
    lines.set(event.digest, describe(event));
    const now = Date.now();
    if (event.status === 'downloading' || event.status === 'pushing') {
      if (now - lastDraw < 100) return; // at most 10 redraws a second while bytes flow
    }
    lastDraw = now;
    out.write(`\x1b[${rows.length}A`);
    for (const digest of rows) out.write(`\x1b[2K${lines.get(digest)}\n`);
  };
}
