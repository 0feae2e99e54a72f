/**
 * The benchmark runner: times shale against reference commands in the same run and prints a
 * Markdown table (also written to bench/results/latest.md and latest.json; `--cases unpack` alone
 * writes unpack.md and unpack.json instead, `--results NAME` picks NAME.md/NAME.json).
 *
 *   npm run bench                      # builds, then: node --import tsx bench/run.ts
 *   node --import tsx bench/run.ts [--preset large] [--runs 5] [--warmup 1]
 *        [--cases tarsum,diffid,startup,unpack] [--layers N --files N --size S --seed N]
 *        [--data DIR] [--out DIR] [--results NAME] [--build | --no-build]
 *        [--meter auto|gnu-time|proc-sampling] [--idle-wait SECONDS] [--nice N]
 *
 * See bench/README.md for what each row means.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir, ensureFixture, repoRoot, type Fixture } from './fixtures/image.ts';
import { isPresetName, parseSize, resolveFixture } from './fixtures/presets.ts';
import { buildCases, CASE_IDS, type BenchCase, type CaseId, type Variant } from './lib/cases.ts';
import { describeEnvironment, hasCommand } from './lib/env.ts';
import {
  createMeter,
  machineBusySeconds,
  waitForIdle,
  type Meter,
  type Sample,
} from './lib/measure.ts';
import {
  combineRun,
  markdown,
  summarise,
  type BenchResult,
  type RunFigures,
  type VariantResult,
} from './lib/report.ts';

const USAGE = `usage: node --import tsx bench/run.ts [--preset small|large|many-small] [--runs N] [--warmup N]
         [--cases ${CASE_IDS.join(',')}] [--layers N] [--files N] [--size SIZE] [--seed N]
         [--data DIR] [--out DIR] [--results NAME] [--build | --no-build]
         [--meter auto|gnu-time|proc-sampling] [--idle-wait SECONDS] [--nice N]`;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

function intOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new Error(`--${name} needs an integer >= ${min}, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Read every input once so that all rows read from the page cache. */
function warmPageCache(files: string[]): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0) {
        // just reading
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** A tar holding nothing: two zero blocks, padded to GNU tar's 10 KiB record. */
function ensureEmptyTar(fixture: Fixture): string {
  const file = path.join(fixture.dir, 'empty.tar');
  if (!existsSync(file)) writeFileSync(file, Buffer.alloc(10240));
  return file;
}

/** The most telling line of an error output: the first one naming an error, else the first. */
function firstLineOf(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l);
  return (lines.find((l) => /error\b|^shale:/i.test(l)) ?? lines[0] ?? '').slice(0, 200);
}

/** Runs a variant's invocations once, back to back; throws with a short reason when anything is wrong. */
async function runInvocations(meter: Meter, v: Variant): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const [i, argv] of v.invocations.entries()) {
    const s = await meter.run(argv);
    if (s.exitCode !== 0) {
      throw new Error(`exit ${s.exitCode}: ${firstLineOf(s.stderr) || firstLineOf(s.stdout)}`);
    }
    const problem = v.check?.(s.stdout, i);
    if (problem) throw new Error(`wrong output for input ${i + 1}: ${problem}`);
    samples.push(s);
  }
  return samples;
}

/**
 * One run of a variant over all its inputs, between its untimed `before`/`after` hooks;
 * `timed` wraps only the invocations.
 */
async function runVariant<T>(
  meter: Meter,
  v: Variant,
  timed: (run: () => Promise<Sample[]>) => Promise<T>,
): Promise<T> {
  v.before?.();
  let result: T;
  try {
    result = await timed(() => runInvocations(meter, v));
  } catch (err) {
    v.after?.(false);
    throw err;
  }
  const problem = v.after?.(true);
  if (problem) throw new Error(problem);
  return result;
}

/** One timed run of a variant, with the CPU that other processes used meanwhile. */
async function timedRun(meter: Meter, v: Variant, cores: number): Promise<RunFigures> {
  return runVariant(meter, v, async (run) => {
    const busy0 = machineBusySeconds();
    const figures = combineRun(await run());
    const busy1 = machineBusySeconds();
    if (busy0 !== undefined && busy1 !== undefined) {
      const other = busy1 - busy0 - figures.cpuSeconds;
      figures.backgroundShare = Math.max(
        0,
        Math.round((other / (figures.wallSeconds * cores)) * 1000) / 1000,
      );
    }
    return figures;
  });
}

interface RunOptions {
  runs: number;
  warmup: number;
  idleWait: number;
  cores: number;
}

async function runCase(
  meter: Meter,
  c: BenchCase,
  { runs, warmup, idleWait, cores }: RunOptions,
): Promise<{ variants: VariantResult[]; notes: string[] }> {
  log(`${c.id}: ${c.title}`);
  warmPageCache(c.inputs);
  const results = new Map<Variant, VariantResult>();
  for (const v of c.variants) {
    results.set(v, {
      id: v.id,
      role: v.role,
      label: v.label,
      invocations: v.invocations.length,
      runs: [],
    });
  }
  const fail = (v: Variant, err: unknown) => {
    const r = results.get(v)!;
    r.error = err instanceof Error ? err.message : String(err);
    r.runs = [];
    log(`${c.id}/${v.id}: FAILED: ${r.error}`);
  };

  // Warm-up (untimed; also checks every row's output and that rows of a group agree).
  const outputs = new Map<string, string[]>();
  for (const v of c.variants) {
    try {
      let samples: Sample[] = [];
      for (let w = 0; w < Math.max(1, warmup); w++)
        samples = await runVariant(meter, v, (run) => run());
      if (warmup === 0) results.get(v)!.runs.push(combineRun(samples)); // the check run counts
      if (v.group) {
        const printed = samples.map((s) => s.stdout.trim());
        const first = outputs.get(v.group);
        if (!first) outputs.set(v.group, printed);
        else if (first.join('\n') !== printed.join('\n')) {
          throw new Error(
            `prints ${printed.join(', ')} where other ${v.group} rows print ${first.join(', ')}`,
          );
        }
      }
    } catch (err) {
      fail(v, err);
    }
  }

  const notes: string[] = [];
  const shale = c.variants.find((v) => v.role === 'shale');
  const standIn = c.variants.find((v) => v.standIn && v !== shale && !results.get(v)!.error);
  if (shale && results.get(shale)!.error && standIn) {
    results.get(standIn)!.role = 'shale';
    notes.push(
      `\`${shale.label}\` failed (${results.get(shale)!.error}); the library row stands in as shale`,
    );
    results.get(shale)!.role = 'floor';
  }

  // Timed runs: every live row once per round, the order rotating from round to round.
  const live = () => c.variants.filter((v) => !results.get(v)!.error);
  const rounds = warmup === 0 ? runs - 1 : runs;
  for (let round = 0; round < rounds; round++) {
    if (idleWait > 0) {
      const share = await waitForIdle(idleWait, cores);
      if (share !== undefined && share >= 0.15) {
        log(
          `machine still busy (${(share * 100).toFixed(0)}% CPU) after ${idleWait}s: running anyway`,
        );
      }
    }
    const order = live();
    const shift = round % Math.max(1, order.length);
    const progress: string[] = [];
    for (const v of [...order.slice(shift), ...order.slice(0, shift)]) {
      try {
        const figures = await timedRun(meter, v, cores);
        results.get(v)!.runs.push(figures);
        const bg = figures.backgroundShare ?? 0;
        progress.push(
          `${v.id} ${figures.wallSeconds.toFixed(3)}s${bg > 0.05 ? ` (bg ${(bg * 100).toFixed(0)}%)` : ''}`,
        );
      } catch (err) {
        fail(v, err);
      }
    }
    log(`${c.id} run ${round + 1}/${rounds}: ${progress.join(', ')}`);
  }
  return { variants: [...results.values()], notes };
}

/** Format a results file the way the repository's `prettier --check .` wants it (when available). */
async function prettify(file: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, filepath: file });
  } catch {
    return text;
  }
}

function build(root: string): boolean {
  log('building (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return r.status === 0;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      preset: { type: 'string', default: 'large' },
      runs: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      'idle-wait': { type: 'string', default: '30' },
      nice: { type: 'string', default: '0' },
      cases: { type: 'string', default: CASE_IDS.join(',') },
      layers: { type: 'string' },
      files: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      results: { type: 'string' },
      build: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      meter: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length > 0) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  if (!isPresetName(values.preset))
    throw new Error(`unknown preset ${JSON.stringify(values.preset)}`);
  const runs = intOption(values.runs, 'runs', 1)!;
  const warmup = intOption(values.warmup, 'warmup', 0)!;
  const idleWait = intOption(values['idle-wait'], 'idle-wait', 0)!;
  if (!/^-?\d+$/.test(values.nice)) throw new Error('--nice needs an integer (-20..19)');
  const nice = Number(values.nice);
  if (runs < 5) log(`note: --runs ${runs} is below the 5 runs the published table uses`);
  const cases = values.cases.split(',').map((s) => s.trim());
  for (const id of cases) {
    if (!(CASE_IDS as readonly string[]).includes(id))
      throw new Error(`unknown case ${JSON.stringify(id)}`);
  }
  const meterKind = values.meter;
  if (meterKind !== 'auto' && meterKind !== 'gnu-time' && meterKind !== 'proc-sampling') {
    throw new Error('--meter must be auto, gnu-time or proc-sampling');
  }

  const root = repoRoot();
  const cliPath = path.join(root, 'dist', 'cli', 'main.js');
  if (values.build || (!values['no-build'] && !existsSync(cliPath))) {
    if (!build(root)) log('build failed: using whatever dist/ holds');
  }
  const cli = existsSync(cliPath) ? cliPath : undefined;
  const tarsumPath = path.join(root, 'dist', 'archive', 'tarsum', 'index.js');
  const tarsumModule = existsSync(tarsumPath) ? tarsumPath : undefined;
  const fileChunksPath = path.join(root, 'dist', 'archive', 'file-chunks.js');
  const fileChunksModule = existsSync(fileChunksPath) ? fileChunksPath : undefined;
  if (!cli)
    log('dist/cli/main.js is missing: shale rows fall back to the library (or are left out)');

  const { name, params } = resolveFixture(values.preset, {
    layers: intOption(values.layers, 'layers', 1),
    files: intOption(values.files, 'files', 0),
    bytes: values.size === undefined ? undefined : parseSize(values.size),
    seed: intOption(values.seed, 'seed', 0),
  });
  const dataDir = values.data ? path.resolve(values.data) : defaultDataDir(root, name);
  const fixture = await ensureFixture({ dir: dataDir, name, params, oci: true });
  const emptyTar = ensureEmptyTar(fixture);

  const environment = describeEnvironment(process.execPath);
  for (const [k, v] of Object.entries(environment.versions)) log(`${k}: ${v}`);
  spawnSync('sync'); // no write-back of freshly generated data during the timed runs
  const meter = await createMeter(meterKind, nice);
  log(`meter: ${meter.description}`);

  const ctx = {
    node: process.execPath,
    cli,
    tarsumModule,
    fileChunksModule,
    fixture,
    emptyTar,
    have: hasCommand,
  };
  const result: BenchResult = {
    environment,
    meter: meter.description,
    fixture: {
      name: fixture.name,
      dir: path.relative(root, fixture.dir) || '.',
      layers: fixture.layers.length,
      files: fixture.layers.reduce((s, l) => s + l.files, 0),
      contentBytes: fixture.layers.reduce((s, l) => s + l.contentBytes, 0),
      tarBytes: fixture.layers.reduce((s, l) => s + l.tarBytes, 0),
      gzBytes: fixture.oci ? fixture.layers.reduce((s, l) => s + (l.blobBytes ?? 0), 0) : undefined,
    },
    runs,
    warmup,
    idleWait,
    loadAverageEnd: [],
    cases: [],
  };
  const cores = environment.machine.cores;
  try {
    for (const c of buildCases(ctx, cases as CaseId[])) {
      try {
        if (c.setup) {
          log(`${c.id}: setup (untimed)`);
          c.setup();
        }
        const { variants, notes } = await runCase(meter, c, { runs, warmup, idleWait, cores });
        c.notes.push(...notes);
        result.cases.push(summarise(c, variants));
      } finally {
        c.teardown?.();
      }
    }
  } finally {
    meter.close();
  }
  result.loadAverageEnd = loadavg().map((x) => Math.round(x * 100) / 100);

  const table = markdown(result);
  const outDir = values.out ? path.resolve(values.out) : path.join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  // `--cases unpack` alone writes unpack.md/.json, so that latest.* keeps the tarsum table.
  const base = values.results ?? (cases.every((id) => id === 'unpack') ? 'unpack' : 'latest');
  if (!/^[\w.-]+$/.test(base)) throw new Error('--results needs a plain file name');
  const mdFile = path.join(outDir, `${base}.md`);
  const jsonFile = path.join(outDir, `${base}.json`);
  writeFileSync(mdFile, await prettify(mdFile, table));
  writeFileSync(jsonFile, await prettify(jsonFile, `${JSON.stringify(result, null, 2)}\n`));
  process.stdout.write(`\n${table}`);
  log(`written ${path.relative(root, mdFile)} and ${base}.json`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
