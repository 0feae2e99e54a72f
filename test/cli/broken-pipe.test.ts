// A reader that goes away before the output is written (`shale images | head -0`): the command
// ends quietly with the status a process killed by SIGPIPE has (141), as docker and the GNU tools
// do — not with a `shale:` line about a network failure. A reader that takes everything still
// gets everything, with status 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SHALE_BIN } from '../helpers/shale.ts';

/** `shale ARGS | READER` in bash: the shale side's exit status, its stderr, and what READER printed. */
function piped(args: string[], reader: string) {
  const script = `"$@" 2>"$ERR" | ${reader}; echo "status=\${PIPESTATUS[0]}"`;
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'shale-pipe-'));
  const errFile = path.join(dir, 'stderr');
  try {
    const r = spawnSync('bash', ['-c', script, 'bash', process.execPath, SHALE_BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ERR: errFile },
    });
    const status = /status=(\d+)\n$/.exec(r.stdout)?.[1];
    return {
      status: Number(status),
      output: r.stdout.replace(/status=\d+\n$/, ''),
      stderr: fs.readFileSync(errFile, 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a reader that closes at once: status 141, nothing on stderr', () => {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'shale-pipe-root-'));
  try {
    // `true` exits without reading, long before node has started and written its first line.
    for (const args of [['images'], ['--help']]) {
      const r = piped(['--root', root, ...args], 'true');
      assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.status, 141, args.join(' '));
    }
    const whole = piped(['--root', root, 'images'], 'cat');
    assert.equal(whole.status, 0);
    assert.match(whole.output, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n$/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
