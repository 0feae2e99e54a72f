// skopeo as the peer: it copies from every format shale writes (docker-archive, oci-archive,
// oci-dir) with a stable manifest digest (OCI formats: the very manifest shale stores), and
// shale loads what skopeo writes in each format to the same image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSharedLayout, inspect, loadShared } from '../helpers/archive-images.ts';
import { runShale } from '../helpers/shale.ts';

const work = fs.mkdtempSync(path.join(tmpdir(), 'shale-skopeo-'));
const layout = buildSharedLayout(work);
const source = path.join(work, 'store');
loadShared(layout, source);
const REF = 'peers/edge:edge';
const FULL = 'docker.io/peers/edge:edge';
const [edge] = inspect(source, REF);

function skopeoCopy(from: string, to: string): void {
  execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', from, to]);
}

function manifestDigestOf(dir: string): string {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  assert.equal(index.manifests.length, 1);
  return index.manifests[0]!.digest;
}

function save(format: string, output: string): string {
  const r = runShale(['--root', source, 'save', REF, '--format', format, '-o', output]);
  assert.equal(r.status, 0, r.stderr);
  return output;
}

const storedManifest = (
  JSON.parse(fs.readFileSync(path.join(source, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations: Record<string, string> }[];
  }
).manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === FULL)!.digest;

test('skopeo copies from each format shale writes, with a stable manifest digest', () => {
  const sources = {
    docker: `docker-archive:${save('docker', path.join(work, 'edge.docker.tar'))}:${REF}`,
    oci: `oci-archive:${save('oci', path.join(work, 'edge.oci.tar'))}:${FULL}`,
    'oci-dir': `oci:${save('oci-dir', path.join(work, 'edge-oci'))}:${FULL}`,
  };
  for (const [format, from] of Object.entries(sources)) {
    const digests = [1, 2].map((n) => {
      const dest = path.join(work, `copy-${format}-${n}`);
      skopeoCopy(from, `oci:${dest}:copied`);
      return manifestDigestOf(dest);
    });
    assert.equal(digests[0], digests[1], `${format}: copies differ`);
    if (format !== 'docker')
      assert.equal(digests[0], storedManifest, `${format}: manifest changed`);
  }
  const viaDocker = JSON.parse(
    execFileSync('skopeo', ['--insecure-policy', 'inspect', '--config', sources.docker], {
      encoding: 'utf8',
    }),
  ) as { rootfs: { diff_ids: string[] } };
  assert.deepEqual(viaDocker.rootfs.diff_ids, edge!.RootFS.Layers);
});

test('shale loads what skopeo writes as docker-archive, oci-archive and oci dir', () => {
  const outputs = [
    [`docker-archive:${path.join(work, 'sk.docker.tar')}:${REF}`, path.join(work, 'sk.docker.tar')],
    [`oci-archive:${path.join(work, 'sk.oci.tar')}:edge`, path.join(work, 'sk.oci.tar')],
    [`oci:${path.join(work, 'sk-oci')}:edge`, path.join(work, 'sk-oci')],
  ];
  for (const [dest, input] of outputs) {
    skopeoCopy(`oci:${layout}:edge`, dest!);
    const root = path.join(work, `load-${path.basename(input!)}`);
    const r = runShale(['--root', root, 'load', '-i', input!, '--name', 'peers/edge', '--json']);
    assert.equal(r.status, 0, `${dest}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout), [{ Id: edge!.Id, RepoTags: [REF] }], dest);
    assert.deepEqual(inspect(root, REF)[0]!.RootFS.Layers, edge!.RootFS.Layers);
  }
});
