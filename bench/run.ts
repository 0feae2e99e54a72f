/**
 * The benchmark runner: shale against its peers, case by case, alternating runs, one table.
 *
 *   npm run bench -- [--quick] [--only NAME…]      (npm run bench = build, then this file)
 *   node --import tsx bench/run.ts [--quick] [--only tarsum,unpack | --only many-small/unpack]
 *        [--fixtures large,many-small,system] [--runs N] [--warmup N] [--scaling-runs N]
 *        [--idle-wait SECONDS] [--results NAME] [--build | --no-build] [--meter auto|gnu-time|proc-sampling]
 *        [--baseline GIT-REV]   (the same cases, this build against REV's: ratio = new / old)
 *
 * Names for --only: the cases (tarsum diffid unpack checkout checkout-diff fsck-quick fsck pull pull-disk
 * pull-unpack push save load load-oci), a case on one fixture (`many-small/pull`, `system/unpack`: that
 * fixture runs even when --fixtures leaves it out), and `scaling`. See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CASE_NAMES, makeCase, servicesFor } from './cases/index.ts';
import {
  defaultDataDir,
  ensureFixture,
  repoRoot,
  type ImageFixture,
} from '../support/fixtures/image.ts';
import {
  isPresetName,
  resolveFixture,
  type Overrides,
  type PresetName,
} from '../support/fixtures/presets.ts';
import { ensureSystemFixture, SYSTEM_FIXTURE } from '../support/fixtures/system.ts';
import { runAlternately } from './lib/alternate.ts';
import { againstBaseline, baselineImage, buildBaseline, type Baseline } from './lib/baseline.ts';
import { describeEnvironment } from './lib/env.ts';
import { prepareImage } from './lib/image.ts';
import { createMeter } from './lib/measure.ts';
import { runScaling } from './lib/scaling.ts';
import { startServices } from './lib/services.ts';
import { markdown, rowsOf, skippedRow, type Report, type Row } from './lib/table.ts';
import { makeWorkDir, workParent } from './lib/workdir.ts';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const MiB = 2 ** 20;

/** Full and quick runs: fixtures, rounds, and the base of the scaling series. */
const MODES = {
  full: {
    fixtures: `large,many-small,${SYSTEM_FIXTURE}`,
    overrides: {} as Overrides,
    warmup: 1,
    runs: 5,
    scalingRuns: 3,
    idleWait: 5,
    scaling: true,
  },
  // The same >= 5 counted rounds on a reduced `large` (1/16: 64 MiB, 3,125 files) and
  // `many-small` (1/32: 4 MiB, 6,250 files), no wait for a quiet machine (`--idle-wait S` sets
  // one), and no scaling series unless `--only scaling` asks for it: under 10 minutes on 2 cores.
  // `system` (this machine's files, not reducible) only when named.
  quick: {
    fixtures: 'large,many-small',
    overrides: {
      large: { bytes: 64 * MiB, files: 3_125 },
      'many-small': { bytes: 4 * MiB, files: 6_250 },
    } as Record<string, Overrides>,
    warmup: 1,
    runs: 5,
    scalingRuns: 1,
    idleWait: 0,
    scaling: false,
  },
};

function intOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new Error(`--${name} needs an integer >= ${min}`);
  return Number(value);
}

type FixtureName = PresetName | typeof SYSTEM_FIXTURE;
const isFixtureName = (name: string): name is FixtureName =>
  name === SYSTEM_FIXTURE || isPresetName(name);

/** `--only a,b --only c d` → [a, b, c, d]. */
const onlyNames = (only: string[], positionals: string[]): string[] =>
  [...only, ...positionals]
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

/** The names as a set; every name must be a case, fixture/case or `scaling`. */
function selection(names: string[], fixtures: string[]): Set<string> | undefined {
  if (names.length === 0) return undefined;
  for (const n of names) {
    const [fixture, name] = n.includes('/') ? n.split('/', 2) : [undefined, n];
    const known =
      n === 'scaling' || (CASE_NAMES.includes(name) && (!fixture || fixtures.includes(fixture)));
    if (!known)
      throw new Error(
        `unknown name ${JSON.stringify(n)} (cases: ${CASE_NAMES.join(' ')}, fixture/case, scaling)`,
      );
  }
  return new Set(names);
}

async function prettify(file: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    return await prettier.format(text, {
      ...((await prettier.resolveConfig(file)) ?? {}),
      filepath: file,
    });
  } catch {
    return text;
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true, default: [] },
      fixtures: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      'scaling-runs': { type: 'string' },
      'idle-wait': { type: 'string' },
      results: { type: 'string' },
      build: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      meter: { type: 'string', default: 'auto' },
      baseline: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench -- [--quick] [--only NAME…] (see bench/README.md)\n`,
    );
    return;
  }
  const mode = values.quick ? MODES.quick : MODES.full;
  const names = onlyNames(values.only, positionals);
  // A case named on one fixture (`system/unpack`) brings that fixture into the run.
  const presets = [
    ...new Set([
      ...(values.fixtures ?? mode.fixtures).split(',').map((s) => s.trim()),
      ...names.filter((n) => n.includes('/')).map((n) => n.split('/', 1)[0]!),
    ]),
  ];
  for (const p of presets)
    if (!isFixtureName(p)) throw new Error(`unknown fixture ${JSON.stringify(p)}`);
  const only = selection(names, presets);
  const wanted = (fixture: string, name: string) =>
    !only || only.has(name) || only.has(`${fixture}/${name}`);
  const warmup = intOption(values.warmup, 'warmup', 0) ?? mode.warmup;
  const runs = intOption(values.runs, 'runs', 1) ?? mode.runs;
  const scalingRuns = intOption(values['scaling-runs'], 'scaling-runs', 1) ?? mode.scalingRuns;
  const idleWait = intOption(values['idle-wait'], 'idle-wait', 0) ?? mode.idleWait;
  if (!/^(auto|gnu-time|proc-sampling)$/.test(values.meter))
    throw new Error('--meter: auto, gnu-time or proc-sampling');
  const root = repoRoot();
  const cli = path.join(root, 'dist', 'cli', 'shale.js');
  if (values.build || (!values['no-build'] && !existsSync(cli))) {
    log('building (npm run build)');
    spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  if (!existsSync(cli)) throw new Error('dist/cli/shale.js is missing: run npm run build');
  const baseline: Baseline | undefined =
    values.baseline === undefined ? undefined : buildBaseline(values.baseline, root, log);
  // A quick run does not overwrite the full run's figures (latest.*), nor a baseline run either.
  const resultsName =
    values.results ?? (baseline ? `baseline-${baseline.short}` : values.quick ? 'quick' : 'latest');
  if (!/^[\w.-]+$/.test(resultsName)) throw new Error('--results needs a plain file name');

  const overridesOf = (p: PresetName): Overrides =>
    values.quick ? (MODES.quick.overrides[p] ?? {}) : {};
  const fixtureOf = async (p: FixtureName): Promise<ImageFixture> => {
    if (p === SYSTEM_FIXTURE) return ensureSystemFixture({ dir: defaultDataDir(p) });
    const { name, params } = resolveFixture(p, overridesOf(p));
    return ensureFixture({ dir: defaultDataDir(name), name, params });
  };
  const fixtures = [];
  for (const p of presets as FixtureName[]) {
    if (!CASE_NAMES.some((n) => wanted(p, n))) continue;
    fixtures.push({ preset: p, fixture: await fixtureOf(p) });
  }
  const caseNames = CASE_NAMES.filter((n) => presets.some((p) => wanted(p, n)));
  // The scaling series times shale alone: no part of a comparison with a baseline.
  const scaling = !baseline && (only ? only.has('scaling') : mode.scaling);
  spawnSync('sync');

  const environment = describeEnvironment(process.execPath);
  const meter = await createMeter(values.meter as 'auto');
  const work = makeWorkDir(workParent((values.quick ? 4 : 16) * 2 ** 30));
  log(`work directory ${work}; meter: ${meter.description}`);
  const needs = servicesFor(scaling ? [...caseNames, 'pull'] : caseNames);
  // Against a baseline the only peer is the baseline's shale: no daemon to start.
  if (baseline) Object.assign(needs, { docker: false, podman: false });
  const services = await startServices(work, needs, log);
  const cleanUp = async () => {
    await services.stop();
    meter.close();
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));

  const rows: Row[] = [];
  const notes: string[] = [];
  const tools = { node: process.execPath, cli, services, log };
  const options = { warmup, runs, idleWait, cores: environment.machine.cores, log };
  let scalingResult: Report['scaling'];
  try {
    for (const { preset, fixture } of fixtures) {
      const names = CASE_NAMES.filter((n) => wanted(preset, n));
      const image = await prepareImage(fixture, work, {
        ...tools,
        archive: names.some((n) => n === 'load' || n === 'save' || n === 'migrate'),
        ociArchive: names.includes('load-oci'),
      });
      const oldImage = baseline && (await baselineImage(image, baseline, tools.node));
      for (const name of names) {
        let c = makeCase(name, image, services);
        if (oldImage && !('skipped' in c)) {
          const old = makeCase(name, oldImage, services);
          c = 'skipped' in old ? old : againstBaseline(c, old, baseline);
        }
        if ('skipped' in c) {
          rows.push(skippedRow(c));
          continue;
        }
        log(`${fixture.name}/${c.name}: ${c.title}`);
        try {
          await c.setup?.();
          rows.push(...rowsOf(c, await runAlternately(meter, c, options)));
          for (const n of c.notes ?? [])
            if (!notes.includes(`${c.name}: ${n}`)) notes.push(`${c.name}: ${n}`);
        } finally {
          await c.teardown?.();
        }
      }
      rmSync(image.work, { recursive: true, force: true });
    }
    if (scaling) {
      const base = 'large';
      const result = await runScaling({
        base,
        overrides: overridesOf(base),
        work,
        meter,
        warmup: 1,
        runs: scalingRuns,
        tools,
      });
      scalingResult = { ...result, runs: scalingRuns };
    }
  } finally {
    await cleanUp();
  }

  for (const [service, why] of Object.entries(services.missing))
    notes.push(`${service} missing: ${why}`);
  const fixtureLines = fixtures.map(({ fixture: f }) => {
    const tar = f.layers.reduce((s, l) => s + l.tarBytes, 0);
    const gz = f.layers.reduce((s, l) => s + (l.blobBytes ?? 0), 0);
    const files = f.layers.reduce((s, l) => s + l.files, 0);
    const origin =
      f.name === SYSTEM_FIXTURE
        ? " (this machine's own files: compare peers within this run, not machines)"
        : '';
    return `\`${f.name}\` ${f.layers.length} layers, ${files} files, ${(tar / 1e6).toFixed(0)} MB tar / ${(gz / 1e6).toFixed(0)} MB gz${origin}`;
  });
  const report: Report = {
    title: baseline
      ? `shale (this build) against baseline ${baseline.short} (peer = the baseline's shale: ratio = new / old)`
      : 'shale against its peers',
    mode: values.quick
      ? `quick (reduced fixtures: large at 1/16, many-small at 1/32; ${runs} runs; no scaling unless --only scaling) — not the published figures`
      : 'full',
    environment,
    meter: meter.description,
    fixtures: fixtureLines,
    warmup,
    runs,
    rows,
    cpuColumn: baseline !== undefined,
    scaling: scalingResult,
    notes,
  };
  const table = markdown(report);
  const outDir = path.join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const mdFile = path.join(outDir, `${resultsName}.md`);
  writeFileSync(mdFile, await prettify(mdFile, table));
  const jsonFile = path.join(outDir, `${resultsName}.json`);
  writeFileSync(jsonFile, await prettify(jsonFile, `${JSON.stringify(report, null, 2)}\n`));
  process.stdout.write(`\n${table}`);
  log(`written ${path.relative(root, mdFile)} and ${resultsName}.json`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
