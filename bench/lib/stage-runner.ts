/**
 * One stage of shale's per-entry work over layer tars, timed inside its own process so that
 * start-up (node, tsx, loading the library) stays out of the figure; the `per-entry-*` cases run
 * it. The library is a built one (`dist/archive/index.js`, what users run), named by its path so
 * that a baseline build can be measured the same way. Each tar is read as the store reads a blob
 * (`createReadStream`, 1 MiB chunks). The cases run it as JavaScript (esbuild's transform, so that
 * no tsx loads at start-up); by hand, tsx runs it as it is. Stages:
 *
 *   reader  readTar over each tar as the applier reads it: no raw header copies, a body the
 *           reader already holds taken whole (bufferedBody), any other body drained
 *   tarsum  TarSum v1 of each tar
 *   apply   applyLayerBlob (the call `shale unpack` makes per layer) of each tar, in order, into DIR
 *
 *   node --import tsx bench/lib/stage-runner.ts --library DIST/archive/index.js --stage S [--into DIR] TAR…
 *
 * Prints one JSON line: StageReport.
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

type Archive = typeof import('../../src/archive/index.ts');

export const STAGES = ['reader', 'tarsum', 'apply'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageReport {
  stage: Stage;
  /** Entries seen, PAX global headers excluded (reader, apply); undefined for tarsum. */
  entries?: number;
  /** Seconds from the first tar opened to the last one done, over all tars. */
  seconds: number;
  /** One TarSum per tar (tarsum). */
  sums?: string[];
}

const open = (tar: string) => createReadStream(tar, { highWaterMark: 1 << 20 });

async function readAll(archive: Archive, tar: string): Promise<number> {
  let entries = 0;
  for await (const entry of archive.readTar(open(tar), { rawHeaders: false })) {
    if (entry.header.typeflag !== archive.TypeFlag.paxGlobal) entries++;
    // A baseline build may predate bufferedBody: then every body is drained.
    if (entry.bufferedBody?.() !== undefined) continue;
    for await (const chunk of entry.body) void chunk; // drained: reading is the point
  }
  return entries;
}

async function runStage(
  archive: Archive,
  stage: Stage,
  tars: string[],
  into: string | undefined,
): Promise<Omit<StageReport, 'seconds'>> {
  if (stage === 'tarsum') {
    const sums = [];
    for (const tar of tars) sums.push(await archive.tarsum(open(tar), { version: 'v1' }));
    return { stage, sums };
  }
  let entries = 0;
  for (const tar of tars) {
    if (stage === 'reader') entries += await readAll(archive, tar);
    else entries += (await archive.applyLayerBlob(into!, open(tar))).entries;
  }
  return { stage, entries };
}

async function main(): Promise<void> {
  const { values, positionals: tars } = parseArgs({
    allowPositionals: true,
    options: {
      library: { type: 'string' },
      stage: { type: 'string' },
      into: { type: 'string' },
    },
  });
  const stage = values.stage as Stage;
  if (!values.library || !STAGES.includes(stage) || tars.length === 0)
    throw new Error(`usage: --library INDEX.js --stage ${STAGES.join('|')} [--into DIR] TAR…`);
  if (stage === 'apply' && !values.into) throw new Error('--stage apply needs --into DIR');
  const archive = (await import(pathToFileURL(values.library).href)) as Archive;
  const t0 = performance.now();
  const result = await runStage(archive, stage, tars, values.into);
  const report: StageReport = { ...result, seconds: (performance.now() - t0) / 1000 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`stage-runner: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
