/**
 * An edge-case image for peer comparisons, built by hand with GNU tar and gzip into an OCI
 * layout (tag `edge`): three layers covering symlinks, hard links, odd modes and owners, long
 * and non-UTF-8 names, a FIFO, a device (root only), binary xattrs, then whiteouts of files and
 * directories, opaque directories, type changes, and re-additions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const isRoot = process.getuid?.() === 0;

function put(root: string, rel: string, content: string, mode = 0o644): void {
  const file = Buffer.from(path.join(root, rel), 'latin1');
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
}

function layer1(r: string): void {
  put(r, 'etc/passwd', 'root:x:0:0::/root:/bin/sh\n');
  put(r, 'etc/delete-me', 'layer 1\n');
  put(r, 'etc/modify-me', 'version 1\n');
  put(r, 'etc/chmod-me', 'mode changes\n');
  put(r, 'opt/remove-dir/sub/file', 'deep\n');
  put(r, 'var/opaque/a', 'a\n');
  put(r, 'var/opaque/sub/c', 'c\n');
  put(r, 'srv/was-file', 'file\n');
  put(r, 'srv/was-dir/child/x', 'x\n');
  put(r, 'usr/lib/hl-a', 'hard link data\n');
  fs.linkSync(path.join(r, 'usr/lib/hl-a'), path.join(r, 'usr/lib/hl-b'));
  fs.mkdirSync(path.join(r, 'bin'), { recursive: true });
  fs.linkSync(path.join(r, 'usr/lib/hl-a'), path.join(r, 'bin/hl-c'));
  fs.symlinkSync('../etc/passwd', path.join(r, 'bin/rel-link'));
  fs.symlinkSync('/etc/passwd', path.join(r, 'bin/abs-link'));
  fs.symlinkSync('does/not/exist', path.join(r, 'bin/dangling'));
  fs.symlinkSync(`/${'t'.repeat(120)}/target`, path.join(r, 'bin/long-target'));
  put(r, 'usr/bin/suid', '#!/bin/sh\n', 0o4755);
  put(r, 'usr/bin/sgid', '#!/bin/sh\n', 0o2755);
  put(r, 'etc/no-perms', 'secret\n', 0o000);
  fs.mkdirSync(path.join(r, 'tmp'), { recursive: true });
  fs.chmodSync(path.join(r, 'tmp'), 0o1777);
  put(r, `long/${'n'.repeat(150)}.txt`, 'long name\n');
  put(r, `long/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(90)}.txt`, 'long path\n');
  put(r, 'names/caf\xe9-latin1', 'latin1\n');
  put(r, 'names/café-utf8', 'utf8\n');
  execFileSync('mkfifo', [path.join(r, 'var/fifo')]);
  put(r, 'etc/xattr-file', 'xattrs\n');
  execFileSync('setfattr', ['-n', 'user.comment', '-v', 'hello', path.join(r, 'etc/xattr-file')]);
  execFileSync('setfattr', ['-n', 'user.binary', '-v', '0x00ff10', path.join(r, 'etc/xattr-file')]);
  if (isRoot) {
    put(r, 'home/user/.profile', 'profile\n');
    fs.chownSync(path.join(r, 'home/user/.profile'), 1000, 1000);
    put(r, 'var/nobody', 'nobody\n');
    fs.chownSync(path.join(r, 'var/nobody'), 65534, 65534);
    fs.mkdirSync(path.join(r, 'dev'));
    execFileSync('mknod', [path.join(r, 'dev/null-like'), 'c', '1', '3']);
  }
}

function layer2(r: string): void {
  put(r, 'etc/.wh.delete-me', '');
  put(r, 'opt/.wh.remove-dir', '');
  put(r, 'var/opaque/.wh..wh..opq', '');
  put(r, 'var/opaque/new-after-opq', 'new\n');
  put(r, 'etc/modify-me', 'version 2, longer\n');
  put(r, 'etc/chmod-me', 'mode changes\n', 0o600);
  put(r, 'srv/was-file/inner', 'now a dir\n');
  put(r, 'srv/was-dir', 'now a file\n');
  put(r, 'usr/lib/.wh.hl-a', '');
  put(r, 'bin/.wh.never-existed', '');
  put(r, 'usr/share/l2-target', 'layer 2\n');
  fs.linkSync(path.join(r, 'usr/share/l2-target'), path.join(r, 'usr/share/l2-hardlink'));
}

function layer3(r: string): void {
  put(r, 'etc/delete-me', 're-added\n');
  put(r, 'opt/remove-dir/only-this', 're-created\n');
  put(r, 'srv/keep/.wh..wh..opq', '');
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function blob(layout: string, bytes: Buffer): { digest: string; size: number } {
  const hex = sha256(bytes);
  fs.writeFileSync(path.join(layout, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/** Build the image into `layout` (an OCI layout dir); `work` is scratch space. */
export function buildEdgeImage(work: string, layout: string): void {
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  const layers: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  [layer1, layer2, layer3].forEach((build, i) => {
    const tree = path.join(work, `layer${i + 1}`);
    fs.mkdirSync(tree, { recursive: true });
    build(tree);
    const names = spawnSync('sh', [
      '-c',
      `cd "${tree}" && find . -mindepth 1 -maxdepth 1 -printf '%P\\0' | LC_ALL=C sort -z`,
    ]).stdout;
    const tar = spawnSync(
      'tar',
      [
        '-C',
        tree,
        '--format=pax',
        '--sort=name',
        '--numeric-owner',
        '--xattrs',
        '--xattrs-include=*',
        '--mtime=@1700000000',
        '--null',
        '-T',
        '-',
        '-cf',
        '-',
      ],
      { input: names, maxBuffer: 1 << 28 },
    );
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    diffIds.push(`sha256:${sha256(tar.stdout)}`);
    const gz = spawnSync('gzip', ['-n', '-c'], { input: tar.stdout, maxBuffer: 1 << 28 }).stdout;
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob(layout, gz) });
  });
  const config = blob(
    layout,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: diffIds },
      }),
    ),
  );
  const manifest = blob(
    layout,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': 'edge' },
        },
      ],
    }),
  );
}
