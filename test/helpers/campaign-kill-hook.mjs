// A preload (`node --import test/helpers/campaign-kill-hook.mjs dist/cli/shale.js …`) for the
// crash campaign: counts the calls that remove or rename files — rename, unlink, rm, rmdir, in
// their callback, promise and sync forms of node:fs and node:fs/promises — whose path lies under
// $SHALE_KILL_PATHS (colon-separated prefixes; every call when unset), and
// - with $SHALE_KILL_BEFORE=N, SIGKILLs this process just before the N-th such call, after
//   writing `N op path` to $SHALE_KILL_NOTE (when set) so the test can say where it struck;
// - with $SHALE_KILL_COUNT_FILE, writes the number of such calls to that file at exit.
// Calls Node makes inside fs.rm's own recursion are not seen: one rm counts once.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';

const killBefore = Number(process.env.SHALE_KILL_BEFORE ?? '0');
const countFile = process.env.SHALE_KILL_COUNT_FILE;
const note = process.env.SHALE_KILL_NOTE;
const prefixes = (process.env.SHALE_KILL_PATHS ?? '')
  .split(':')
  .filter((p) => p !== '')
  .map((p) => path.resolve(p));
const { writeFileSync } = fs; // the original, before wrapping

let calls = 0;

function watched(target) {
  if (prefixes.length === 0) return true;
  if (typeof target !== 'string' && !(target instanceof URL) && !Buffer.isBuffer(target))
    return false;
  const file = path.resolve(target instanceof URL ? target.pathname : String(target));
  return prefixes.some((p) => file === p || file.startsWith(p + path.sep));
}

function count(op, args) {
  if (!watched(args[0])) return;
  calls++;
  if (calls !== killBefore) return;
  const what = op.startsWith('rename') ? `${args[0]} -> ${args[1]}` : String(args[0]);
  if (note) writeFileSync(note, `${calls} ${op} ${what}\n`);
  process.kill(process.pid, 'SIGKILL');
}

function wrap(owner, name, label) {
  const original = owner[name];
  if (typeof original !== 'function') return;
  owner[name] = function (...args) {
    count(label, args);
    return original.apply(this, args);
  };
}

for (const op of ['rename', 'unlink', 'rm', 'rmdir']) {
  wrap(fs, op, op);
  wrap(fs, `${op}Sync`, `${op}Sync`);
  wrap(fs.promises, op, `promises.${op}`);
  if (fsp !== fs.promises) wrap(fsp, op, `promises.${op}`);
}
syncBuiltinESMExports();

if (countFile) process.on('exit', () => writeFileSync(countFile, `${calls}\n`));
