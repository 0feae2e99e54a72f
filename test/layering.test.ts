// The module layering of DESIGN.md, enforced: a module imports only from its own layer or the
// layers below it, and src/core does no I/O. Outside src/: the demo (scripts/), the benchmarks
// (bench/) and the shared launchers and fixture builder (support/) never reach into test/, and
// support/ needs nothing from bench/ or scripts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const SRC = path.join(REPO, 'src/');
const LAYERS = ['core', 'archive', 'store', 'registry', 'formats', 'api', 'cli'];
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
