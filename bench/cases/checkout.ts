/**
 * Working trees against shale itself: `checkout` (a working tree: unpack plus the tree record
 * diff compares with) against `unpack` of the same image, and the first `diff` after a fresh
 * checkout against the next one on the same untouched tree. The ratios are the figures: the
 * goal is checkout ≤ 1.2× unpack and a first diff no slower than the second.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import type { Sample } from '../lib/measure.ts';
import type { BenchCase } from '../lib/side.ts';
import { countEntries, freshDir } from '../lib/workdir.ts';
import { caseHead } from './common.ts';

/** Runs shale untimed (a run's preparation); throws with its stderr on failure. */
function prepareWith(image: BenchImage, ...args: string[]): void {
  const [command, ...rest] = image.shale('--root', image.store, ...args);
  const r = spawnSync(command!, rest, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`shale ${args.join(' ')}: ${r.stderr}`);
}

export function checkoutCase(image: BenchImage): BenchCase {
  const tree = path.join(image.work, 'checkout');
  const rootfs = path.join(image.work, 'rootfs');
  let expected: number | undefined;
  /** Checks the tree at `dir` (as many entries on both sides), then removes it. */
  const checkAndRemove = (dir: string) => (samples: Sample[] | undefined) => {
    let problem: string | undefined;
    if (samples) {
      const n = existsSync(dir) ? countEntries(dir) : 0;
      expected ??= n;
      if (n !== expected) problem = `${n} entries where the other side wrote ${expected}`;
    }
    rmSync(dir, { recursive: true, force: true });
    return problem;
  };
  return {
    ...caseHead('checkout', image, 'a working tree against a plain unpack', 'tar', [image.store]),
    shale: {
      label: 'shale checkout REF DIR',
      prepare: () => freshDir(tree),
      commands: () => [image.shale('--root', image.store, 'checkout', image.localRef, tree)],
      finish: checkAndRemove(tree),
    },
    peers: [
      {
        label: 'shale unpack REF DIR',
        prepare: () => freshDir(rootfs),
        commands: () => [image.shale('--root', image.store, 'unpack', image.localRef, rootfs)],
        finish: checkAndRemove(rootfs),
      },
    ],
    notes: ['the peer is shale unpack: the ratio is checkout / unpack (goal ≤ 1.2).'],
  };
}

export function checkoutDiffCase(image: BenchImage): BenchCase {
  const tree = path.join(image.work, 'worktree');
  const diff = () => [image.shale('--root', image.store, 'diff', tree)];
  /** An untouched checkout lists no change. */
  const checkEmpty = (samples: Sample[] | undefined) => {
    const out = samples?.[0]?.stdout ?? '';
    if (out !== '')
      return `diff of an untouched checkout printed ${JSON.stringify(out.slice(0, 80))}`;
  };
  return {
    ...caseHead(
      'checkout-diff',
      image,
      'the first diff after a checkout against the second',
      'tar',
      [image.store],
    ),
    shale: {
      label: 'shale diff DIR (first after checkout)',
      prepare: () => {
        freshDir(tree);
        prepareWith(image, 'checkout', image.localRef, tree);
      },
      commands: diff,
      finish: checkEmpty,
    },
    peers: [
      {
        label: 'shale diff DIR (second)',
        prepare: () => {
          if (existsSync(tree)) return;
          freshDir(tree);
          prepareWith(image, 'checkout', image.localRef, tree);
          prepareWith(image, 'diff', tree);
        },
        commands: diff,
        finish: checkEmpty,
      },
    ],
    teardown: () => rmSync(tree, { recursive: true, force: true }),
    notes: [
      'the peer is the next diff of the same tree: the ratio is first / second (goal ≤ 1.2).',
    ],
  };
}
