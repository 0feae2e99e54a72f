// Temp names that say who writes them: a temp of this process is in use, one of a process that
// has exited is garbage at once, and a name not made that way is left to the idle rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ownedTempPath, tempWriterState } from '../../src/store/temp-names.ts';

test('a temp of a live writer is alive; of an exited writer, dead at once', () => {
  const mine = path.basename(ownedTempPath('/store/shale/references.json'));
  assert.match(mine, /^references\.json\.w[0-9a-f]{8}_\d+_\d+_\d+\.[0-9a-f]{12}\.tmp$/);
  assert.equal(tempWriterState(mine, 0), 'alive');
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "import('./src/store/temp-names.ts').then((m) => console.log(m.ownedTempPath('/s/index.json')))",
    ],
    { encoding: 'utf8' },
  );
  assert.equal(child.status, 0, child.stderr);
  const theirs = path.basename(child.stdout.trim());
  assert.equal(tempWriterState(theirs, 0), 'dead');
});

test('a name without a writer tag is not judged', () => {
  assert.equal(tempWriterState('index.json.1234.abcdef.tmp', 0), undefined);
});
