// `npm run demo`'s script end to end, with real peers as oracles: skopeo reads the image layout
// it writes, and umoci unpacks it to the bundled rootfs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from './helpers/demo.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

test('the demo image is read by skopeo and unpacked by umoci to examples/rootfs', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shale-demo-test-'));
  try {
    const out = runDemo(work);
    const manifest = /^manifest:\s+(sha256:[0-9a-f]{64})$/m.exec(out)?.[1];
    const diffIds = [...out.matchAll(/^\$ shale diffid .*\n(sha256:[0-9a-f]{64})$/gm)].map(
      (m) => m[1],
    );
    assert.ok(manifest, out);
    assert.equal(diffIds.length, 2);
    assert.equal(new Set(diffIds).size, 1, 'diffid of layer.tar and layer.tar.gz agree');
    assert.match(out, /^\$ cat \$DEMO\/rootfs\/etc\/motd\nbuilt with shale$/m);
    assert.match(out, /^pulled back the same image: true$/m);
    assert.equal(
      readFileSync(path.join(work, 'rootfs-pulled', 'etc', 'motd'), 'utf8'),
      'built with shale\n',
    );

    const ref = `oci:${work}/oci:docker.io/library/shale-demo:latest`;
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', ref], { encoding: 'utf8' })) as {
      Digest: string;
    };
    assert.equal(inspect.Digest, manifest);
    const config = JSON.parse(
      execFileSync('skopeo', ['inspect', '--config', ref], { encoding: 'utf8' }),
    ) as {
      rootfs: { diff_ids: string[] };
    };
    assert.deepEqual(config.rootfs.diff_ids, [diffIds[0]]);

    execFileSync('skopeo', ['copy', '-q', ref, `oci:${work}/umoci:demo`]);
    execFileSync('umoci', ['unpack', '--image', `${work}/umoci:demo`, `${work}/bundle`]);
    const rootfs = path.join(work, 'bundle', 'rootfs');
    const example = path.join(repo, 'examples', 'rootfs');
    for (const file of [
      'etc/os-release',
      'etc/passwd',
      'usr/bin/hello',
      'usr/share/doc/hello/README',
    ]) {
      assert.deepEqual(
        readFileSync(path.join(rootfs, file)),
        readFileSync(path.join(example, file)),
        file,
      );
    }
    assert.equal(readlinkSync(path.join(rootfs, 'bin')), 'usr/bin');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
