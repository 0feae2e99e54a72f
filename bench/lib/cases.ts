/**
 * The benchmark cases. Each case times shale against a reference command on the same inputs;
 * "floor" rows show what the machine's primitives (Node's crypto/zlib, OpenSSL) manage alone.
 * Every input file is one process invocation on both sides (a layer is what a user or a store
 * hands to one command), and a run's wall time is the sum over the layers.
 */
import { pathToFileURL } from 'node:url';
import type { Fixture } from '../fixtures/image.ts';

export type Role = 'shale' | 'reference' | 'floor';

export interface Variant {
  id: string;
  role: Role;
  /** The command as shown in the table (one invocation; `×N` is added for N inputs). */
  label: string;
  invocations: string[][];
  /** Checks one invocation's stdout; returns an error message when it is wrong. */
  check?: (stdout: string, index: number) => string | undefined;
  /** Variants in the same group must print the same output for each input. */
  group?: string;
  /** Stands in as the shale row when that row fails (e.g. the CLI is broken mid-development). */
  standIn?: boolean;
}

export interface BenchCase {
  id: string;
  title: string;
  /** What the MB/s column divides: e.g. "tar" (uncompressed layer bytes). */
  basis: string;
  basisBytes: number;
  /** Files to read once (untimed) before the case, so every side reads from the page cache. */
  inputs: string[];
  variants: Variant[];
  notes: string[];
  /** Targets from the issue, checked on the `shale` row. */
  target?: { minRatio?: number; maxRssMiB?: number };
  /** Per-process cost rather than throughput: the table shows milliseconds, not MB/s. */
  perProcess?: boolean;
}

export interface CaseContext {
  node: string;
  /** dist/cli/main.js when built. */
  cli: string | undefined;
  /** dist/archive/tarsum/index.js when built. */
  tarsumModule: string | undefined;
  /** dist/archive/file-chunks.js (the CLI's reused-buffer file reader) when built. */
  fileChunksModule: string | undefined;
  fixture: Fixture;
  emptyTar: string;
  have(command: string): boolean;
}

const CHUNK = 1 << 20;

/** Node's own sha256 over a 1 MiB-chunk read stream: the floor under `shale tarsum`. */
const NODE_SHA256 = `
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
const hash = createHash('sha256');
for await (const chunk of createReadStream(process.argv[1], { highWaterMark: ${CHUNK} })) hash.update(chunk);
process.stdout.write(hash.digest('hex') + '\\n');
`;

/** Node's own gunzip + sha256: the floor under `shale diffid`. */
const NODE_GUNZIP_SHA256 = `
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
const hash = createHash('sha256');
await pipeline(
  createReadStream(process.argv[1], { highWaterMark: ${CHUNK} }),
  createGunzip({ chunkSize: 256 * 1024 }),
  async function (source) { for await (const chunk of source) hash.update(chunk); },
);
process.stdout.write(hash.digest('hex') + '\\n');
`;

/** Node's own sha256 over double-buffered reads into two reused buffers (no per-chunk allocation). */
const NODE_SHA256_REUSED = `
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
const hash = createHash('sha256');
const handle = await open(process.argv[1], 'r');
const buffers = [Buffer.allocUnsafe(${CHUNK}), Buffer.allocUnsafe(${CHUNK})];
let turn = 0;
let pending = handle.read(buffers[0], 0, ${CHUNK}, null);
for (;;) {
  const { bytesRead } = await pending;
  if (bytesRead === 0) break;
  const current = buffers[turn];
  turn ^= 1;
  pending = handle.read(buffers[turn], 0, ${CHUNK}, null);
  hash.update(current.subarray(0, bytesRead));
}
await handle.close();
process.stdout.write(hash.digest('hex') + '\\n');
`;

/**
 * The TarSum library called in-process (no CLI), on each file named on the command line. It
 * reads files the way the CLI does when the build has `archive/file-chunks.js` (reused buffers),
 * else with a 1 MiB-chunk read stream.
 */
function libTarsumScript(ctx: CaseContext): string {
  const tarsumUrl = JSON.stringify(pathToFileURL(ctx.tarsumModule!).href);
  const open = ctx.fileChunksModule
    ? `(await import(${JSON.stringify(pathToFileURL(ctx.fileChunksModule).href)})).readFileChunks(file, ${CHUNK})`
    : `createReadStream(file, { highWaterMark: ${CHUNK} })`;
  return `
import { createReadStream } from 'node:fs';
const { tarsum } = await import(${tarsumUrl});
for (const file of process.argv.slice(1)) {
  process.stdout.write(await tarsum(${open}) + '\\n');
}
`;
}

const libLabel = (ctx: CaseContext) =>
  ctx.fileChunksModule ? 'tarsum(readFileChunks(f))' : 'tarsum(createReadStream(f))';

function nodeScript(ctx: CaseContext, code: string, file: string): string[] {
  return [ctx.node, '--input-type=module', '-e', code, file];
}

const hexOf = (digest: string) => digest.replace(/^sha256:/, '');

function expectHex(expected: string[]): (stdout: string, index: number) => string | undefined {
  return (stdout, index) => {
    const want = expected[index];
    return want !== undefined && stdout.includes(want)
      ? undefined
      : `expected ${want}, got ${stdout.trim()}`;
  };
}

const TARSUM_SHAPE = /^tarsum\.v1\+sha256:[0-9a-f]{64}$/;
const checkTarsum = (stdout: string) =>
  TARSUM_SHAPE.test(stdout.trim()) ? undefined : `not a tarsum.v1+sha256 line: ${stdout.trim()}`;

export function tarsumCase(ctx: CaseContext): BenchCase {
  const { fixture } = ctx;
  const tars = fixture.layers.map((l) => fixture.abs(l.tar));
  const diffIds = fixture.layers.map((l) => hexOf(l.diffId));
  const variants: Variant[] = [];
  const notes: string[] = [];
  if (ctx.cli) {
    variants.push({
      id: 'shale',
      role: 'shale',
      label: 'shale tarsum layerN.tar',
      invocations: tars.map((t) => [ctx.node, ctx.cli!, 'tarsum', t]),
      check: checkTarsum,
      group: 'tarsum',
    });
  }
  if (ctx.tarsumModule) {
    variants.push({
      id: ctx.cli ? 'shale-lib' : 'shale',
      role: ctx.cli ? 'floor' : 'shale',
      label: `node -e "${libLabel(ctx)}" (library, no CLI)`,
      invocations: tars.map((t) => nodeScript(ctx, libTarsumScript(ctx), t)),
      check: checkTarsum,
      group: 'tarsum',
      standIn: true,
    });
    if (!ctx.cli)
      notes.push('dist/cli/main.js missing: the shale row calls the library in a `node -e` script');
    // Steady-state throughput: one process start for all layers instead of one per layer.
    variants.push({
      id: 'shale-lib-1proc',
      role: 'floor',
      label: `node -e "${libLabel(ctx)}" (library, all layers in one process)`,
      invocations: [[ctx.node, '--input-type=module', '-e', libTarsumScript(ctx), ...tars]],
      check: (stdout) => {
        const lines = stdout.trim().split('\n');
        return lines.length === tars.length && lines.every((line) => !checkTarsum(line))
          ? undefined
          : `unexpected output: ${stdout.trim()}`;
      },
      group: 'tarsum',
    });
  }
  variants.push({
    id: 'sha256sum',
    role: 'reference',
    label: 'sha256sum layerN.tar',
    invocations: tars.map((t) => ['sha256sum', t]),
    check: expectHex(diffIds),
  });
  variants.push({
    id: 'node-floor',
    role: 'floor',
    label: 'node -e "createHash(\'sha256\') over createReadStream(f)"',
    invocations: tars.map((t) => nodeScript(ctx, NODE_SHA256, t)),
    check: expectHex(diffIds),
  });
  variants.push({
    id: 'node-floor-reused',
    role: 'floor',
    label: 'node -e "createHash(\'sha256\') over reads into 2 reused buffers"',
    invocations: tars.map((t) => nodeScript(ctx, NODE_SHA256_REUSED, t)),
    check: expectHex(diffIds),
  });
  if (ctx.have('openssl')) {
    variants.push({
      id: 'openssl',
      role: 'floor',
      label: 'openssl dgst -sha256 layerN.tar',
      invocations: tars.map((t) => ['openssl', 'dgst', '-sha256', t]),
      check: expectHex(diffIds),
    });
  }
  return {
    id: 'tarsum',
    title: 'tar parse + TarSum (v1, sha256) of each layer tar',
    basis: 'tar',
    basisBytes: fixture.layers.reduce((sum, l) => sum + l.tarBytes, 0),
    inputs: tars,
    variants,
    notes,
    target: { minRatio: 0.9, maxRssMiB: 200 },
  };
}

export function diffidCase(ctx: CaseContext): BenchCase | undefined {
  const { fixture } = ctx;
  const blobs = fixture.layers.map((l) => l.blob).filter((b): b is string => b !== undefined);
  if (blobs.length !== fixture.layers.length) return undefined;
  const gz = blobs.map((b) => fixture.abs(b));
  const diffIds = fixture.layers.map((l) => hexOf(l.diffId));
  const variants: Variant[] = [];
  if (ctx.cli) {
    variants.push({
      id: 'shale',
      role: 'shale',
      label: 'shale diffid layerN.tar.gz',
      invocations: gz.map((b) => [ctx.node, ctx.cli!, 'diffid', b]),
      check: expectHex(diffIds),
    });
  }
  variants.push({
    id: 'gzip|sha256sum',
    role: 'reference',
    label: 'gzip -dc layerN.tar.gz | sha256sum',
    invocations: gz.map((b) => [
      'bash',
      '-o',
      'pipefail',
      '-c',
      'gzip -dc -- "$1" | sha256sum',
      'bash',
      b,
    ]),
    check: expectHex(diffIds),
  });
  if (ctx.have('pigz')) {
    variants.push({
      id: 'pigz|sha256sum',
      role: 'floor',
      label: 'pigz -dc layerN.tar.gz | sha256sum',
      invocations: gz.map((b) => [
        'bash',
        '-o',
        'pipefail',
        '-c',
        'pigz -dc -- "$1" | sha256sum',
        'bash',
        b,
      ]),
      check: expectHex(diffIds),
    });
  }
  variants.push({
    id: 'node-floor',
    role: 'floor',
    label: 'node -e "createGunzip() → createHash(\'sha256\')"',
    invocations: gz.map((b) => nodeScript(ctx, NODE_GUNZIP_SHA256, b)),
    check: expectHex(diffIds),
  });
  return {
    id: 'diffid',
    title: 'DiffID: sha256 of each gunzipped layer blob',
    basis: 'tar',
    basisBytes: fixture.layers.reduce((sum, l) => sum + l.tarBytes, 0),
    inputs: gz,
    variants,
    notes: ctx.cli ? [] : ['dist/cli/main.js missing: no shale row'],
  };
}

export function startupCase(ctx: CaseContext): BenchCase {
  const variants: Variant[] = [];
  if (ctx.cli) {
    variants.push({
      id: 'shale',
      role: 'shale',
      label: 'shale tarsum empty.tar',
      invocations: [[ctx.node, ctx.cli, 'tarsum', ctx.emptyTar]],
      check: checkTarsum,
    });
  }
  if (ctx.tarsumModule) {
    variants.push({
      id: ctx.cli ? 'shale-lib' : 'shale',
      role: ctx.cli ? 'floor' : 'shale',
      label: `node -e "${libLabel(ctx)}" empty.tar (library, no CLI)`,
      invocations: [nodeScript(ctx, libTarsumScript(ctx), ctx.emptyTar)],
      check: checkTarsum,
      standIn: true,
    });
  }
  variants.push({
    id: 'sha256sum',
    role: 'reference',
    label: 'sha256sum empty.tar',
    invocations: [['sha256sum', ctx.emptyTar]],
  });
  variants.push({
    id: 'node-floor',
    role: 'floor',
    label: 'node -e ""',
    invocations: [[ctx.node, '-e', '']],
  });
  return {
    id: 'startup',
    title: 'process start-up: one invocation on an empty tar (10 KiB of zeros)',
    basis: '-',
    basisBytes: 0,
    inputs: [ctx.emptyTar],
    variants,
    notes: [],
    perProcess: true,
  };
}

export const CASE_IDS = ['tarsum', 'diffid', 'startup'] as const;
export type CaseId = (typeof CASE_IDS)[number];

export function buildCases(ctx: CaseContext, wanted: readonly CaseId[]): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const id of wanted) {
    const c =
      id === 'tarsum' ? tarsumCase(ctx) : id === 'diffid' ? diffidCase(ctx) : startupCase(ctx);
    if (c) cases.push(c);
  }
  return cases;
}
