/**
 * The benchmark cases. Each case times shale against a reference command on the same inputs;
 * "floor" rows show what the machine's primitives (Node's crypto/zlib, OpenSSL) manage alone.
 * Every input file is one process invocation on both sides (a layer is what a user or a store
 * hands to one command), and a run's wall time is the sum over the layers.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  /** Untimed, before every run (warm-up included): e.g. create a fresh empty output directory. */
  before?: () => void;
  /**
   * Untimed, after every run (also after a failed one): e.g. check and remove what the run wrote.
   * `ok` is false when the run failed; a returned string is an error (the row is then failed).
   */
  after?: (ok: boolean) => string | undefined;
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
  /**
   * Time targets against named rows (several references): shale's median wall must be
   * <= maxTimeFactor × that row's median wall.
   */
  targets?: { reference: string; maxTimeFactor: number }[];
  /** Per-process cost rather than throughput: the table shows milliseconds, not MB/s. */
  perProcess?: boolean;
  /** Untimed, once before the case (e.g. load the image into a private store); throws on failure. */
  setup?: () => void;
  /** Untimed, once after the case, even when it failed (e.g. remove the private store). */
  teardown?: () => void;
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

/** Counts the entries (files, directories, links) under `dir`, `dir` itself excluded. */
function countEntries(dir: string): number {
  let n = 0;
  const stack = [dir];
  for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      n++;
      if (e.isDirectory()) stack.push(path.join(d, e.name));
    }
  }
  return n;
}

/** Where the unpack case writes: $SHALE_BENCH_UNPACK_DIR, else /dev/shm with >= 4 GiB free, else $TMPDIR. */
function unpackParent(): string {
  const chosen = process.env.SHALE_BENCH_UNPACK_DIR;
  if (chosen) return chosen;
  try {
    const st = statfsSync('/dev/shm');
    if (st.bavail * st.bsize >= 4 * 2 ** 30) return '/dev/shm';
  } catch {
    // no /dev/shm
  }
  return tmpdir();
}

/** The image's tag in an OCI layout: the first manifest's `org.opencontainers.image.ref.name`. */
function ociTag(ociDir: string): string | undefined {
  try {
    const index = JSON.parse(readFileSync(path.join(ociDir, 'index.json'), 'utf8')) as {
      manifests?: { annotations?: Record<string, string> }[];
    };
    return index.manifests?.[0]?.annotations?.['org.opencontainers.image.ref.name'];
  } catch {
    return undefined;
  }
}

/**
 * `shale unpack` of the whole image against `umoci unpack` and GNU tar (`tar -xzf` of each gzip'd
 * layer in order), each into a fresh directory (created/removed untimed). The image is loaded
 * into a private store (untimed, once) before the case. Every row decompresses gzip.
 */
export function unpackCase(ctx: CaseContext): BenchCase | undefined {
  const { fixture } = ctx;
  const blobs = fixture.layers.map((l) => l.blob).filter((b): b is string => b !== undefined);
  if (!fixture.oci || blobs.length !== fixture.layers.length) return undefined;
  const gz = blobs.map((b) => fixture.abs(b));
  const ociDir = path.join(fixture.dir, 'oci');
  const tag = ociTag(ociDir) ?? fixture.name; // the generator tags the image with the preset name
  // Outputs go to the same file system for every row: tmpfs (/dev/shm) when it has room, so the
  // rows measure extraction rather than the disk's write-back ($SHALE_BENCH_UNPACK_DIR overrides).
  const work = mkdtempSync(path.join(unpackParent(), 'shale-bench-unpack-'));
  const store = path.join(work, 'store');
  const ref = `bench/${fixture.name}:${tag}`;
  const out = path.join(work, 'out');
  // Directories + files + links the tree must hold (a layer tar's entries, minus duplicates of
  // the shared parent directories): counted from the warm-up of the tar row, then compared.
  let expected: number | undefined;
  const checkTree = (root: string, who: string): string | undefined => {
    if (!existsSync(root)) return `${who}: ${root} missing`;
    const n = countEntries(root);
    if (expected === undefined) expected = n;
    return n === expected ? undefined : `${who}: ${n} entries where tar extracts ${expected}`;
  };
  // Before each run: no tree, no dirty pages left over from the previous run's writes.
  const absent = () => {
    rmSync(out, { recursive: true, force: true });
    spawnSync('sync');
  };
  const fresh = () => {
    absent();
    mkdirSync(out);
  };
  const remove = () => rmSync(out, { recursive: true, force: true });
  const variants: Variant[] = [];
  const notes: string[] = [];
  // GNU tar first: its warm-up run sets the expected entry count.
  const tarScript = 'for l in "$@"; do tar -C "$0" -xzf "$l" || exit 1; done';
  variants.push({
    id: 'tar-xzf',
    role: 'reference',
    label: `sh -c 'for l in layer1..${gz.length}.tar.gz; do tar -C DIR -xzf $l; done'`,
    invocations: [['sh', '-c', tarScript, out, ...gz]],
    before: fresh,
    after: (ok) => {
      const problem = ok ? checkTree(out, 'tar') : undefined;
      remove();
      return problem;
    },
  });
  if (ctx.cli) {
    variants.push({
      id: 'shale',
      role: 'shale',
      label: `shale --root STORE unpack ${ref} DIR`,
      invocations: [[ctx.node, ctx.cli, '--root', store, 'unpack', ref, out]],
      before: fresh,
      after: (ok) => {
        const problem = ok ? checkTree(out, 'shale') : undefined;
        remove();
        return problem;
      },
    });
  } else {
    notes.push('dist/cli/main.js missing: no shale row');
  }
  if (ctx.have('umoci')) {
    variants.push({
      id: 'umoci',
      role: 'reference',
      label: `umoci unpack --image oci:${tag} BUNDLE`,
      invocations: [['umoci', 'unpack', '--image', `${ociDir}:${tag}`, out]],
      // umoci wants the bundle directory absent.
      before: absent,
      after: (ok) => {
        const problem = ok ? checkTree(path.join(out, 'rootfs'), 'umoci') : undefined;
        remove();
        return problem;
      },
    });
  } else {
    notes.push('umoci not installed: no umoci row');
  }
  const plainTars = fixture.layers.map((l) => fixture.abs(l.tar));
  variants.push({
    id: 'tar-xf',
    role: 'floor',
    label: `sh -c 'for l in layer1..${plainTars.length}.tar; do tar -C DIR -xf $l; done'`,
    invocations: [
      ['sh', '-c', 'for l in "$@"; do tar -C "$0" -xf "$l" || exit 1; done', out, ...plainTars],
    ],
    before: fresh,
    after: (ok) => {
      const problem = ok ? checkTree(out, 'tar -xf') : undefined;
      remove();
      return problem;
    },
  });
  notes.push(
    `every row writes into a fresh directory on the same file system (${path.dirname(work)}` +
      `${path.dirname(work) === '/dev/shm' ? ', tmpfs: no disk write-back in the figures' : ''}); creating it, ` +
      '`sync` before the run and removing the tree afterwards are untimed. The image was loaded beforehand (untimed) with ' +
      `\`shale --root STORE load -i ${path.relative(process.cwd(), ociDir) || ociDir} --name bench/${fixture.name}\`.`,
    'shale, umoci and `tar -xzf` all decompress gzip; `tar -xf` of the uncompressed layer tars is ' +
      'a floor (no gzip). GNU tar ignores OCI whiteouts (`.wh.*`): the fixture has none, so its ' +
      'result is the same tree. umoci also writes config.json, umoci.json and an mtree manifest of ' +
      'the rootfs (it hashes every file for it): part of its time.',
    'every row was checked to produce the same number of entries.',
    'unlike the other cases, a run of every row here is ONE process for the whole image ' +
      "(tar's is one `sh` looping over the layers); ratio is against the first reference, " +
      '`tar -xzf`; the targets compare with both references. The issue asks for >= 5 runs for the ' +
      'TarSum table, not for this one: `--runs 3` is enough here (a round takes about a minute).',
  );
  return {
    id: 'unpack',
    title: `unpack the whole image (${fixture.layers.length} gzip'd layers) into a fresh directory`,
    basis: 'tar',
    basisBytes: fixture.layers.reduce((sum, l) => sum + l.tarBytes, 0),
    inputs: [...gz, ...plainTars],
    variants,
    notes,
    // shale's time <= 0.7x umoci's and <= 1.2x tar's, i.e. ratio (ref time / shale time) >=
    // 1/0.7 against umoci and >= 1/1.2 against tar.
    targets: [
      { reference: 'umoci', maxTimeFactor: 0.7 },
      { reference: 'tar-xzf', maxTimeFactor: 1.2 },
    ],
    target: { maxRssMiB: 200 },
    setup: () => {
      const r = spawnSync(
        ctx.node,
        [ctx.cli ?? '', '--root', store, 'load', '-i', ociDir, '--name', `bench/${fixture.name}`],
        { encoding: 'utf8' },
      );
      if (!ctx.cli || r.status !== 0) {
        notes.push(`shale load failed: ${(r.stderr || r.stdout || '').trim().split('\n')[0]}`);
      }
    },
    teardown: () => rmSync(work, { recursive: true, force: true }),
  };
}

export const CASE_IDS = ['tarsum', 'diffid', 'startup', 'unpack'] as const;
export type CaseId = (typeof CASE_IDS)[number];

export function buildCases(ctx: CaseContext, wanted: readonly CaseId[]): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const id of wanted) {
    const c =
      id === 'tarsum'
        ? tarsumCase(ctx)
        : id === 'diffid'
          ? diffidCase(ctx)
          : id === 'unpack'
            ? unpackCase(ctx)
            : startupCase(ctx);
    if (c) cases.push(c);
  }
  return cases;
}
