// Fuzzing the tar reader: whatever the input (random bytes, random or crafted headers, mutated
// archives from TarWriter, endless streams), reading it must end in a clean read or a ShaleError
// with code ERR_BAD_TAR, ERR_LIMIT or ERR_UNSUPPORTED — never another error, a hang, or unbounded
// memory — and the result must not depend on how the input is chunked or which API reads it.
// Each property runs in a child process (test/helpers/fuzz-tar-child.ts) under a watchdog, so a
// hang in synchronous parser code fails the test (with the input) instead of stalling it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { readTar, TarParser, type TarParserHandler } from '../../src/archive/tar/index.ts';
import { isShaleError } from '../../src/core/errors.ts';
import {
  META_HEADERS_LIMIT,
  META_LIMIT,
  paxRecord,
  rawEntry,
  zeros,
  type FuzzCaseMessage,
  type FuzzDoneMessage,
  type FuzzMessage,
} from '../helpers/fuzz-tar.ts';

const CHILD = fileURLToPath(new URL('../helpers/fuzz-tar-child.ts', import.meta.url));
const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
/** No heartbeat for this long means a case hangs (cases take milliseconds; start-up ~1 s). */
const HANG_MS = 20_000;
const MEMORY_BOUND = 200 * 1024 * 1024;

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  hung: boolean;
  last?: FuzzCaseMessage;
  done?: FuzzDoneMessage;
  output: string;
}

function runProperty(name: string, numRuns: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [name, String(numRuns)], {
      cwd: PROJECT,
      execArgv: ['--import', 'tsx', '--max-old-space-size=512'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const run: ChildRun = { code: null, signal: null, hung: false, output: '' };
    child.stdout!.on('data', (d: Buffer) => (run.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (run.output += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        run.hung = true;
        child.kill('SIGKILL');
      }, HANG_MS);
    };
    arm();
    child.on('message', (m: FuzzMessage) => {
      arm();
      if (m.type === 'case') run.last = m;
      else run.done = m;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      Object.assign(run, { code, signal });
      resolve(run);
    });
  });
}

const PLAN: [name: string, numRuns: number][] = [
  ['random bytes', 600],
  ['random headers', 900],
  ['mutated archives', 1000],
  ['crafted headers', 900],
  ['endless sources', 60],
];

for (const [name, numRuns] of PLAN) {
  test(`tar fuzz: ${name} — ${numRuns} cases end in a clean read or a typed error`, async () => {
    const run = await runProperty(name, numRuns);
    const lastCase = run.last
      ? `case #${run.last.index} (${run.last.description}), ${run.last.inputLength} bytes, base64 of the first 4 KiB:\n${run.last.input}`
      : 'before the first case';
    assert.ok(!run.hung, `no progress for ${HANG_MS} ms (a hang) in ${lastCase}`);
    assert.ok(
      run.done,
      `fuzz child died (exit ${run.code}, signal ${run.signal}) in ${lastCase}\n${run.output}`,
    );
    assert.ok(!run.done.failed, run.done.report);
    assert.equal(run.done.numRuns, numRuns, 'every case ran');
    assert.equal(run.code, 0, run.output);
    const growth = run.done.rssPeak - run.done.rssStart;
    assert.ok(
      growth < MEMORY_BOUND,
      `rss grew by ${(growth / 2 ** 20).toFixed(0)} MiB during the fuzz`,
    );
  });
}

test('tar limits: metadata up to the limits is read; one byte or header more is ERR_LIMIT', async () => {
  const read = async (input: Buffer) => {
    const names: string[] = [];
    try {
      for await (const entry of readTar(Readable.from([input]), { dialect: 'modern' }))
        names.push(entry.header.name);
      return { names };
    } catch (err) {
      return { names, code: isShaleError(err) ? err.code : String(err) };
    }
  };
  const fillTo = (size: number) => {
    const overhead = paxRecord('comment', '').length;
    let record = paxRecord('comment', 'c'.repeat(size - overhead));
    record = paxRecord('comment', 'c'.repeat(size - overhead - (record.length - size)));
    assert.equal(record.length, size);
    return record;
  };
  const end = zeros(1024);
  for (const [size, expected] of [
    [META_LIMIT, { names: ['f'] }],
    [META_LIMIT + 1, { names: [], code: 'ERR_LIMIT' }],
  ] as const) {
    const pax = rawEntry({ name: 'PaxHeaders/f', typeflag: 'x' }, fillTo(size));
    assert.deepEqual(
      await read(Buffer.concat([pax, rawEntry({ name: 'f' }), end])),
      expected,
      `PAX of ${size} bytes`,
    );
  }
  for (const [count, expected] of [
    [META_HEADERS_LIMIT, { names: [`long-${META_HEADERS_LIMIT - 1}`] }],
    [META_HEADERS_LIMIT + 1, { names: [], code: 'ERR_LIMIT' }],
  ] as const) {
    const chain = Array.from({ length: count }, (_, i) =>
      rawEntry({ name: '././@LongLink', typeflag: 'L', magic: 'gnu' }, Buffer.from(`long-${i}\0`)),
    );
    const input = Buffer.concat([...chain, rawEntry({ name: 'short', magic: 'gnu' }), end]);
    assert.deepEqual(await read(input), expected, `${count} GNU long-name headers`);
  }
});

test('tar limits: an oversized metadata header fails at its header block, before its body', () => {
  const events: string[] = [];
  const handler: TarParserHandler = {
    entry: () => events.push('entry'),
    data: () => events.push('data'),
    entryEnd: () => events.push('entryEnd'),
    end: () => events.push('end'),
  };
  const parser = new TarParser(handler);
  const header = rawEntry({ name: 'PaxHeaders/x', typeflag: 'x', size: 1n << 33n });
  assert.throws(
    () => parser.write(header),
    (err) => isShaleError(err, 'ERR_LIMIT'),
  );
  assert.deepEqual(events, []);
});
