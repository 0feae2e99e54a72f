// The `shale` executable as one ES module (dist/cli/shale.js), bundled by esbuild from what tsc
// emitted: Node 20 then loads one file instead of a few hundred, which roughly halves start-up
// (every CLI call pays it). Native and CommonJS-internal packages stay outside the bundle.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/shale.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Loaded with createRequire at run time (native addons, and a file inside a CommonJS package).
  external: ['@napi-rs/xattr', 'zstd-napi', 'unbzip2-stream'],
  // Bundled CommonJS packages (undici) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as shaleCreateRequire } from 'node:module';\nconst require = shaleCreateRequire(import.meta.url);",
  },
});
