/**
 * An image of N layers built with shale itself (import, then checkout + commit per layer), each
 * layer adding one file of `bytes` random bytes: for tests that need many or large layers.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runShale } from './shale.ts';

function shaleOk(args: string[]): string {
  const r = runShale(args);
  if (r.status !== 0) throw new Error(`shale ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Builds `ref` (and `ref`-0 … as intermediate tags, removed again) in `root`; returns its ID. */
export function buildLayeredImage(
  root: string,
  work: string,
  ref: string,
  layers: number,
  bytes: number,
): string {
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'layer-0'), randomBytes(bytes));
  let id = shaleOk(['--root', root, 'import', rootfs, `${ref}-0`]);
  for (let i = 1; i < layers; i++) {
    const tree = path.join(work, `tree-${i}`);
    shaleOk(['--root', root, 'checkout', id, tree]);
    fs.writeFileSync(path.join(tree, `layer-${i}`), randomBytes(bytes));
    id = shaleOk(['--root', root, 'commit', tree, `${ref}-${i}`]);
    fs.rmSync(tree, { recursive: true, force: true });
  }
  shaleOk(['--root', root, 'tag', id, ref]);
  for (let i = 0; i < layers; i++) shaleOk(['--root', root, 'rmi', `${ref}-${i}`]);
  return id;
}
