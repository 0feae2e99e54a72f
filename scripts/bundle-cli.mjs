// The `shale` executable, bundled by esbuild from what tsc emitted, as two files: the CLI itself
// as one CommonJS file (dist/cli/shale-program.cjs), so Node 20 loads one file instead of a few
// hundred and V8 can keep its compiled code (see src/cli/code-cache.ts); and the launcher that runs
// it (dist/cli/shale.js, the package's `bin`). Native and CommonJS-internal packages stay outside.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['dist/cli/program.js'],
  outfile: 'dist/cli/shale-program.cjs',
  format: 'cjs',
  sourcemap: 'linked',
  // Loaded with createRequire at run time (native addons, and a file inside a CommonJS package).
  external: ['@napi-rs/xattr', 'zstd-napi', 'unbzip2-stream'],
  // The sources are ES modules: they find files beside them through import.meta.url.
  define: { 'import.meta.url': 'shaleModuleUrl' },
  banner: { js: "const shaleModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

await build({
  ...common,
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/shale.js',
  format: 'esm',
});
