/**
 * Facts about an unpacked tree that a content snapshot does not show: hard-link groups (paths
 * sharing an inode), device numbers, and every extended attribute (getfattr's dump).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Hard-link groups (paths sharing an inode) and device numbers, by path. */
export function linksAndDevices(root: string): {
  groups: string[][];
  devices: Record<string, number>;
} {
  const byInode = new Map<bigint, string[]>();
  const devices: Record<string, number> = {};
  const walk = (dir: Buffer, rel: string): void => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const relPath = `${rel}/${name.toString('latin1')}`;
      const st = fs.lstatSync(full, { bigint: true });
      if (st.isDirectory()) walk(full, relPath);
      else if (st.nlink > 1n) byInode.set(st.ino, [...(byInode.get(st.ino) ?? []), relPath]);
      if (st.isCharacterDevice() || st.isBlockDevice()) devices[relPath] = Number(st.rdev);
    }
  };
  walk(Buffer.from(root), '');
  return { groups: [...byInode.values()].map((g) => g.sort()).sort(), devices };
}

export function xattrs(root: string): string {
  return execFileSync('getfattr', ['-R', '-d', '-m', '-', '-e', 'hex', '-h', '.'], {
    cwd: root,
    encoding: 'latin1',
  });
}
