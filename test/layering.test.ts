// The module layering of DESIGN.md, enforced: a module imports only from its own layer or the
// layers below it, src/core does no I/O, the shells (CLI, Engine API) reach the library only
// through its public entry points, and each room holds what its name says. Outside src/: the demo (scripts/), the benchmarks
// (bench/) and the shared launchers and fixture builder (support/) never reach into test/, and
// support/ needs nothing from bench/ or scripts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const SRC = path.join(REPO, 'src/');
const LAYERS = [
  'core', // vocabulary, no I/O
  'archive', // tar, compression, TarSum, changes, apply
  'store', // the image graph on disk, and the one way into it (writeImages)
  'trees', // unpack, working trees, rootfs import
  'legacy', // the Docker 1.x graph: legacy identity, schema1, Go JSON, migration
  'registry', // distribution client: pull, push
  'formats', // archive formats: docker-archive, docker-legacy, OCI layout, oci-archive
  'present', // Docker's JSON shapes of images, shared by the CLI and the Engine API
  'api', // Engine API server
  'cli', // the shale command
];
/** The shells: they import other layers only through those layers' public entry points. */
const SHELLS = ['api', 'cli'];
const IO_MODULES =
  /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|cluster|readline)$|^undici/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'results' ? [] : sourceFiles(full);
    return /\.(ts|mjs)$/.test(d.name) ? [full] : [];
  });
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(pattern)) specifiers.push(m[1] ?? m[2] ?? m[3]!);
  return specifiers;
}

function layerOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

const files = sourceFiles(SRC);

test('every source file lives in a known layer', () => {
  for (const file of files) {
    const layer = layerOf(file);
    assert.ok(
      LAYERS.includes(layer),
      `${path.relative(SRC, file)} is outside the layers ${LAYERS.join(', ')}`,
    );
  }
});

test('modules import only from their own layer or the layers below', () => {
  const violations: string[] = [];
  for (const file of files) {
    const own = LAYERS.indexOf(layerOf(file));
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(SRC)) {
        violations.push(`${path.relative(SRC, file)} imports ${spec} from outside src/`);
        continue;
      }
      const layer = LAYERS.indexOf(layerOf(target));
      if (layer > own)
        violations.push(
          `${path.relative(SRC, file)} (${LAYERS[own]}) imports ${spec} (${LAYERS[layer]})`,
        );
    }
  }
  assert.deepEqual(violations, []);
});

test('the shells import the library only through its public entry points', () => {
  const violations: string[] = [];
  for (const file of files.filter((f) => SHELLS.includes(layerOf(f)))) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      const layer = layerOf(target);
      if (layer === layerOf(file)) continue;
      if (path.relative(SRC, target) !== path.join(layer, 'index.ts'))
        violations.push(`${path.relative(SRC, file)} imports ${spec}, not ${layer}/index.ts`);
    }
  }
  assert.deepEqual(violations, []);
});

test('every layer has a public entry point listed in package.json', () => {
  const exported = Object.keys(
    (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { exports: object })
      .exports,
  );
  const library = [...new Set(files.map(layerOf))].filter((l) => !SHELLS.includes(l));
  for (const layer of library) {
    assert.ok(files.includes(path.join(SRC, layer, 'index.ts')), `src/${layer} has no index.ts`);
    assert.ok(exported.includes(`./${layer}`), `package.json does not export ./${layer}`);
  }
});

test('formats/ holds archive formats only: one folder per format, and what loading and saving share', () => {
  const entries = readdirSync(path.join(SRC, 'formats'), { withFileTypes: true });
  const loose = entries.filter((e) => !e.isDirectory() && e.name !== 'index.ts').map((e) => e.name);
  assert.deepEqual(loose, []);
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual(folders.sort(), [
    'copy',
    'docker-archive',
    'docker-legacy',
    'load',
    'oci-archive',
    'oci-layout',
    'save',
  ]);
});

test('src/core does no I/O', () => {
  const violations: string[] = [];
  for (const file of files.filter((f) => layerOf(f) === 'core')) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (IO_MODULES.test(spec)) violations.push(`${path.relative(SRC, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the import scanner sees static, re-export and dynamic imports', () => {
  const sample =
    "import { a } from './x.ts';\nexport * from '../store/y.ts';\nconst m = await import('node:fs');\nimport './side.ts';";
  assert.deepEqual(importsOf(sample), ['./x.ts', '../store/y.ts', 'node:fs', './side.ts']);
});

/** Relative imports of the files under `dir` that land in one of the `forbidden` top folders. */
function importsInto(dir: string, forbidden: string[]): string[] {
  const violations: string[] = [];
  for (const file of sourceFiles(path.join(REPO, dir))) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const top = path.relative(REPO, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
      if (forbidden.includes(top)) violations.push(`${path.relative(REPO, file)} imports ${spec}`);
    }
  }
  return violations;
}

test('the demo, the benchmarks and support/ never import from test/', () => {
  assert.deepEqual(importsInto('scripts', ['test']), []);
  assert.deepEqual(importsInto('bench', ['test']), []);
  assert.deepEqual(importsInto('support', ['test', 'bench', 'scripts']), []);
});

test('the cross-folder check sees an import into test/', () => {
  const sample = "import { x } from '../test/helpers/registry.ts';";
  const top = path.relative(REPO, path.resolve(REPO, 'scripts', importsOf(sample)[0]!));
  assert.equal(top.split(path.sep)[0], 'test');
});
