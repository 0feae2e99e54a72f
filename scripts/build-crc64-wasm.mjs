#!/usr/bin/env node
// Compiles src/archive/tar-split/crc64.wat into crc64-wasm.ts (the module's bytes, base64) with
// wabt; `--check` only says whether crc64-wasm.ts is what the .wat compiles to (the tests run it).
import { readFileSync, writeFileSync } from 'node:fs';
import wabtInit from 'wabt';

const dir = new URL('../src/archive/tar-split/', import.meta.url);
const source = readFileSync(new URL('crc64.wat', dir), 'utf8');
const wabt = await wabtInit();
const module = wabt.parseWat('crc64.wat', source);
const bytes = Buffer.from(module.toBinary({}).buffer);
module.destroy();
const text =
  '/** The compiled crc64.wat (scripts/build-crc64-wasm.mjs writes this file; do not edit). */\n' +
  `export const CRC64_WASM_BASE64 =\n  '${bytes.toString('base64')}';\n`;
const target = new URL('crc64-wasm.ts', dir);
if (process.argv.includes('--check')) {
  const current = readFileSync(target, 'utf8');
  if (current !== text) {
    console.error(
      'crc64-wasm.ts is not what crc64.wat compiles to: run scripts/build-crc64-wasm.mjs',
    );
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
}
