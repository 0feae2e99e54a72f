// The `shale` executable, bundled by esbuild from what tsc emitted, as two files: the CLI itself
// as one CommonJS file (dist/cli/shale-program.cjs), so Node 20 loads one file instead of a few
// hundred and V8 can keep its compiled code (see src/cli/code-cache.ts); and the launcher that runs
// it (dist/cli/shale.js, the package's `bin`). Native and CommonJS-internal packages stay outside.
//
// Start-up: two Node built-ins that most commands never touch are loaded on first use instead of
// when the bundle starts (see lazyBuiltins below).
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

/**
 * - node:http2 (~8 ms to load, with tls) comes with undici's HTTP/2 client, which runs only on a
 *   TLS connection that negotiated h2, and shale does not offer h2: its connect function becomes
 *   a stub that loads the real one when called.
 * - node:child_process (~6 ms, with dgram), needed by commander and shale only to run other
 *   programs, becomes an object of getters that load it when one is read.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(bundle) {
    bundle.onResolve({ filter: /[/\\]client-h2\.js$/ }, (args) =>
      args.namespace === 'lazy'
        ? undefined
        : { path: path.resolve(args.resolveDir, args.path), namespace: 'lazy' },
    );
    bundle.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.namespace === 'lazy' ? { external: true } : { path: args.path, namespace: 'lazy' },
    );
    bundle.onLoad({ filter: /client-h2\.js$/, namespace: 'lazy' }, (args) => ({
      contents: `let connect;
module.exports = (...args) => (connect ??= require(${JSON.stringify(args.path)}))(...args);`,
      resolveDir: path.dirname(args.path),
    }));
    bundle.onLoad({ filter: /^node:child_process$/, namespace: 'lazy' }, () => ({
      contents: `for (const name of ${JSON.stringify(Object.keys(require('node:child_process')))}) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => require('node:child_process')[name] });
}`,
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // ASCII only, no comments, licences in a file beside the bundle: src/cli/code-cache.ts then
  // decodes the bundle as latin1 (a copy), where UTF-8 decoding took ~25 ms of every start.
  charset: 'ascii',
  minifyWhitespace: true,
  legalComments: 'linked',
};

await build({
  ...common,
  entryPoints: ['dist/cli/program.js'],
  outfile: 'dist/cli/shale-program.cjs',
  format: 'cjs',
  sourcemap: 'linked',
  // Loaded with createRequire at run time (native addons, and a file inside a CommonJS package).
  external: ['@napi-rs/xattr', 'zstd-napi', 'unbzip2-stream'],
  plugins: [lazyBuiltins],
  // The sources are ES modules: they find files beside them through import.meta.url.
  define: { 'import.meta.url': 'shaleModuleUrl' },
  banner: { js: "const shaleModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The archive layer's thread scripts (src/archive/thread-script.ts), beside the bundle.
for (const script of ['tar-split/assembler-thread', 'apply/writer-thread']) {
  await build({
    ...common,
    entryPoints: [`dist/archive/${script}.js`],
    outfile: `dist/cli/${path.basename(script)}.cjs`,
    format: 'cjs',
    define: { 'import.meta.url': 'shaleModuleUrl' },
    banner: { js: "const shaleModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}

await build({
  ...common,
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/shale.js',
  format: 'esm',
});
