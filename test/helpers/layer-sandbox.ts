// Sandboxes for the layer-applier tests: root = <tmp>/box/root with sentinels around it
// (<tmp>/box/outside-file, <tmp>/box/root-evil/, <tmp>/target-dir/), a before/after snapshot of
// everything outside the root (paths, types, contents, modes, owners, times, inode numbers, link
// counts) plus /etc/passwd, and helpers to build hostile tars with shale's TarWriter or raw headers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyLayer, type ApplyOptions, type ApplyWarning } from '../../src/archive/apply/index.ts';
import { encodeHeader, type TarHeaderInit } from '../../src/archive/tar/index.ts';
import { isShaleError, type ErrorCode } from '../../src/core/errors.ts';
import { tarBytes } from '../../support/tar-bytes.ts';

export interface Sandbox {
  tmp: string;
  box: string;
  root: string;
  /** Absolute path inside the root. */
  at(rel: string): string;
  cleanup(): void;
}

export function makeSandbox(): Sandbox {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shale-apply-'));
  const box = path.join(tmp, 'box');
  const root = path.join(box, 'root');
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(box, 'outside-file'), 'outside\n', { mode: 0o644 });
  fs.mkdirSync(path.join(box, 'root-evil'));
  fs.writeFileSync(path.join(box, 'root-evil', 'f'), 'evil sibling\n');
  fs.mkdirSync(path.join(tmp, 'target-dir'), { mode: 0o755 });
  fs.writeFileSync(path.join(tmp, 'target-dir', 'victim'), 'victim\n', { mode: 0o600 });
  fs.symlinkSync('../target-dir', path.join(box, 'link-out'));
  return {
    tmp,
    box,
    root,
    at: (rel) => path.join(root, rel),
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}

/** Every path under `dir` except `skip` (and `extra` files), with what must not change. */
export function snapshot(
  dir: string,
  skip: string,
  extra: string[] = ['/etc/passwd'],
  withNlink = true,
): string[] {
  const out: string[] = [];
  const describe = (p: string) => {
    const st = fs.lstatSync(p);
    let what = '';
    if (st.isFile()) what = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    else if (st.isSymbolicLink()) what = fs.readlinkSync(p);
    out.push(
      [
        p,
        st.mode.toString(8),
        st.uid,
        st.gid,
        st.ino,
        withNlink ? st.nlink : '-',
        st.size,
        st.mtimeMs,
        what,
      ].join(' '),
    );
    return st;
  };
  const visit = (p: string) => {
    const st = describe(p);
    if (!st.isDirectory()) return;
    for (const name of fs.readdirSync(p).sort()) {
      const child = path.join(p, name);
      if (child !== skip) visit(child);
    }
  };
  visit(dir);
  for (const p of extra) describe(p);
  return out;
}

export type Entry = { header: TarHeaderInit; body?: Uint8Array };

/** A tar of `entries`; `raw` entries are encoded header blocks without the writer's checks. */
export async function layer(entries: Entry[]): Promise<Buffer> {
  return tarBytes(entries);
}

/** One header block (plus padded body) with no validation, for what TarWriter refuses. */
export function rawEntry(header: TarHeaderInit, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const pad = (512 - (body.length % 512)) % 512;
  return Buffer.concat([
    encodeHeader({ typeflag: '0', size: body.length, ...header }),
    body,
    Buffer.alloc(pad),
  ]);
}

export const END = Buffer.alloc(1024);

export async function* chunksOf(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += 4096) {
    yield data.subarray(i, i + 4096);
    await Promise.resolve();
  }
  if (data.length === 0) yield data;
}

export interface HostileResult {
  sb: Sandbox;
  warnings: ApplyWarning[];
}

/**
 * How the suites apply a layer: as a layer of a few files is applied by default (its small files
 * written on the applier's thread when it settles), and through the write-behind threads with
 * batches of two files (some written on a thread, a partial batch on the applier's).
 */
export const WRITE_MODES: { name: string; options: ApplyOptions }[] = [
  { name: 'default', options: {} },
  { name: 'writer threads', options: { writerThreads: 2, filesPerBatch: 2 } },
];

/**
 * Apply `layers` in order to a fresh sandbox (`prepare` may seed the root first), once in each of
 * WRITE_MODES unless `options` picks writer threads itself. The last layer must fail with `code`
 * when given, all others must succeed. Always asserts that nothing outside the root changed;
 * then runs `check` on the sandbox and cleans up.
 */
export async function hostile(
  layers: (Entry[] | Buffer)[],
  expect: { code?: ErrorCode; check?: (r: HostileResult) => void | Promise<void> },
  options: ApplyOptions & {
    prepare?: (sb: Sandbox) => void;
    /** Compare link counts too (off where the root's own name for a shared inode goes away). */
    nlink?: boolean;
  } = {},
): Promise<void> {
  const modes =
    options.writerThreads === undefined ? WRITE_MODES : [{ name: 'given', options: {} }];
  for (const mode of modes) {
    try {
      await hostileOnce(layers, expect, { ...mode.options, ...options });
    } catch (err) {
      if (err instanceof Error) err.message = `[${mode.name}] ${err.message}`;
      throw err;
    }
  }
}

async function hostileOnce(
  layers: (Entry[] | Buffer)[],
  expect: { code?: ErrorCode; check?: (r: HostileResult) => void | Promise<void> },
  options: ApplyOptions & { prepare?: (sb: Sandbox) => void; nlink?: boolean },
): Promise<void> {
  const sb = makeSandbox();
  try {
    options.prepare?.(sb);
    const before = snapshot(sb.tmp, sb.root, undefined, options.nlink ?? true);
    const warnings: ApplyWarning[] = [];
    let failure: Error | undefined;
    for (const [i, l] of layers.entries()) {
      const bytes = Buffer.isBuffer(l) ? l : await layer(l);
      try {
        await applyLayer(sb.root, chunksOf(bytes), {
          ...options,
          onWarning: (w) => warnings.push(w),
        });
      } catch (err) {
        if (i !== layers.length - 1) throw err;
        failure = err instanceof Error ? err : new Error(String(err));
      }
    }
    const after = snapshot(sb.tmp, sb.root, undefined, options.nlink ?? true);
    assert.deepEqual(after, before, 'something outside the root changed');
    if (expect.code !== undefined) {
      assert.ok(
        isShaleError(failure, expect.code),
        `expected ${expect.code}, got ${failure === undefined ? 'success' : String(failure)}`,
      );
    } else if (failure !== undefined) {
      throw failure;
    }
    await expect.check?.({ sb, warnings });
  } finally {
    sb.cleanup();
  }
}

// Short constructors for entries.
export const file = (name: string, body = 'x', more: Partial<TarHeaderInit> = {}): Entry => ({
  header: { name, mode: 0o644, mtime: 1_600_000_000, ...more },
  body: Buffer.from(body),
});
export const dir = (name: string, more: Partial<TarHeaderInit> = {}): Entry => ({
  header: { name, typeflag: '5', mode: 0o755, mtime: 1_600_000_000, ...more },
});
export const symlink = (name: string, target: string): Entry => ({
  header: { name, typeflag: '2', linkname: target, mode: 0o777, mtime: 1_600_000_000 },
});
export const hardlink = (
  name: string,
  target: string,
  more: Partial<TarHeaderInit> = {},
): Entry => ({
  header: { name, typeflag: '1', linkname: target, mode: 0o644, mtime: 1_600_000_000, ...more },
});
export const whiteout = (name: string): Entry => ({
  header: { name, mode: 0, mtime: 0 },
  body: Buffer.alloc(0),
});

export function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}
