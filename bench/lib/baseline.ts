/**
 * Baseline mode (`--baseline REV`): the current build against an earlier one, in the same run.
 * The earlier revision is built once into the bench cache, outside the repository
 * (`…/shale/bench/baseline-<sha>/`: `git archive` of REV, `npm ci --prefer-offline`,
 * `npm run build`), and every chosen case runs with its own shale side twice: as it is, and with
 * the baseline's CLI as the only peer — so a row's ratio is new / old. The baseline side works in
 * its own directory and store (its image loaded by the baseline build itself): the store format
 * may differ between builds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir, runCommand } from '../../support/fixtures/image.ts';
import type { BenchImage } from './image.ts';
import type { BenchCase } from './side.ts';

export interface Baseline {
  /** The full commit id and its first 10 digits. */
  sha: string;
  short: string;
  /** The baseline's `dist/cli/shale.js`. */
  cli: string;
}

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}`);
}

/** Builds revision `rev` of the repository at `root` into the cache, or reuses that build. */
export function buildBaseline(rev: string, root: string, log: (m: string) => void): Baseline {
  const parsed = spawnSync('git', ['-C', root, 'rev-parse', '--verify', `${rev}^{commit}`], {
    encoding: 'utf8',
  });
  if (parsed.status !== 0) throw new Error(`--baseline: no commit ${JSON.stringify(rev)}`);
  const sha = parsed.stdout.trim();
  const dir = defaultDataDir(`baseline-${sha}`);
  const cli = path.join(dir, 'dist', 'cli', 'shale.js');
  const done = path.join(dir, '.built');
  const baseline = { sha, short: sha.slice(0, 10), cli };
  if (existsSync(done) && existsSync(cli)) {
    log(`baseline ${baseline.short}: reusing the build in ${dir}`);
    return baseline;
  }
  log(`baseline ${baseline.short}: building into ${dir} (git archive, npm ci, npm run build)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run('sh', ['-c', 'git -C "$0" archive "$1" | tar -x -C "$2"', root, sha, dir], root);
  run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir);
  run('npm', ['run', 'build'], dir);
  if (!existsSync(cli)) throw new Error(`the baseline build wrote no ${cli}`);
  writeFileSync(done, `${sha}\n`);
  return baseline;
}

/**
 * The image as the baseline sees it: its CLI, its own scratch directory, and a store holding the
 * image, loaded (untimed) by the baseline build from the fixture's OCI layout.
 */
export async function baselineImage(
  image: BenchImage,
  baseline: Baseline,
  node: string,
): Promise<BenchImage> {
  const work = path.join(image.work, `baseline-${baseline.short}`);
  const store = path.join(work, 'store');
  mkdirSync(work, { recursive: true });
  const shale = (...args: string[]) => [node, baseline.cli, ...args];
  const [command, ...args] = shale(
    '--root',
    store,
    'load',
    '-i',
    image.ociDir,
    '--name',
    image.localRef.slice(0, image.localRef.lastIndexOf(':')),
  );
  await runCommand(command!, args);
  return { ...image, work, store, shale };
}

/** The case `current` with the same case built on the baseline (`old`) as its only peer. */
export function againstBaseline(current: BenchCase, old: BenchCase, baseline: Baseline): BenchCase {
  return {
    ...current,
    inputs: [...new Set([...current.inputs, ...old.inputs])],
    peers: [{ ...old.shale, label: `baseline ${baseline.short}: ${old.shale.label}` }],
    notes: [],
    setup: async () => {
      await current.setup?.();
      await old.setup?.();
    },
    teardown: async () => {
      try {
        await current.teardown?.();
      } finally {
        await old.teardown?.();
      }
    },
  };
}
