/**
 * `apply-deep`: the applier's shape-bound cost, away from content: a 1,800-deep directory chain
 * and a 100,000-file flat directory, each imported as a one-layer image (untimed), then unpacked
 * by `shale unpack` against GNU `tar -xf` of the same tars. Issue 15.6: each entry used to
 * re-resolve its path from the root, so the deep tree took minutes. The trees are the same on
 * every fixture; the case runs on `many-small` only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchImage } from '../lib/image.ts';
import type { BenchCase, SkippedCase } from '../lib/side.ts';
import { countEntries, freshDir } from '../lib/workdir.ts';

const DEPTH = 1800;
const FLAT_FILES = 100_000;

/** Writes the two trees and their tars into `dir` (once). */
function makeTars(dir: string): { deep: string; flat: string } {
  const deep = path.join(dir, 'deep.tar');
  const flat = path.join(dir, 'flat.tar');
  if (existsSync(deep) && existsSync(flat)) return { deep, flat };
  const src = path.join(dir, 'src');
  freshDir(src);
  mkdirSync(path.join(src, 'deep', ...Array<string>(DEPTH).fill('a')), { recursive: true });
  execFileSync('tar', ['-C', path.join(src, 'deep'), '-cf', deep, '.']);
  mkdirSync(path.join(src, 'flat', 'dir'), { recursive: true });
  for (let i = 0; i < FLAT_FILES; i++) writeFileSync(path.join(src, 'flat', 'dir', `f${i}`), 'x');
  execFileSync('tar', ['-C', path.join(src, 'flat'), '-cf', flat, '.']);
  execFileSync('rm', ['-rf', src]); // rmSync recurses once per level: too deep for it
  return { deep, flat };
}

export function applyDeepCase(image: BenchImage): BenchCase | SkippedCase {
  if (!image.name.startsWith('many-small')) {
    return { name: 'apply-deep', fixture: image.name, skipped: 'runs on many-small only' };
  }
  const dir = path.join(image.work, 'apply-deep');
  const store = path.join(dir, 'store');
  const out = path.join(dir, 'out');
  mkdirSync(dir, { recursive: true });
  const tars = makeTars(dir);
  const expected = DEPTH + FLAT_FILES + 1; // the chain, the files and their directory
  const check = (samples: unknown) => {
    const n = samples
      ? countEntries(path.join(out, 'deep')) + countEntries(path.join(out, 'flat'))
      : 0;
    execFileSync('rm', ['-rf', out]);
    if (samples && n !== expected) return `${n} entries extracted, not ${expected}`;
  };
  /** An empty `out`, with `deep` and `flat` in it for tar (shale unpack makes its targets). */
  const prepare = (targets: string[]) => () => {
    execFileSync('rm', ['-rf', out]);
    mkdirSync(out);
    for (const t of targets) mkdirSync(path.join(out, t));
  };
  return {
    name: 'apply-deep',
    fixture: image.name,
    title: `unpack a ${DEPTH}-deep directory chain and a ${FLAT_FILES.toLocaleString('en')}-file directory`,
    basis: 'tar',
    basisBytes: statSync(tars.deep).size + statSync(tars.flat).size,
    inputs: [store, tars.deep, tars.flat],
    setup: () => {
      freshDir(store, false);
      for (const [ref, tar] of [
        ['deep:1', tars.deep],
        ['flat:1', tars.flat],
      ] as const) {
        const [command, ...args] = image.shale('--root', store, 'import', tar, ref);
        execFileSync(command!, args);
      }
    },
    teardown: () => freshDir(store, false),
    shale: {
      label: 'shale unpack deep:1, flat:1',
      prepare: prepare([]),
      commands: () => [
        image.shale('--root', store, 'unpack', 'deep:1', path.join(out, 'deep')),
        image.shale('--root', store, 'unpack', 'flat:1', path.join(out, 'flat')),
      ],
      finish: check,
    },
    peers: [
      {
        label: 'tar -xf deep.tar; tar -xf flat.tar',
        prepare: prepare(['deep', 'flat']),
        commands: () => [
          ['tar', '-C', path.join(out, 'deep'), '-xf', tars.deep],
          ['tar', '-C', path.join(out, 'flat'), '-xf', tars.flat],
        ],
        finish: check,
      },
    ],
  };
}
