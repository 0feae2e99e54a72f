// Child process of test/archive/tar-fuzz.test.ts: runs one fuzz property and reports each case
// before it starts (the parent kills the process if the heartbeat stops: a hang), then the
// fast-check result and the memory it used. Usage: fuzz-tar-child.ts <property> <numRuns>
import { PROPERTIES, type FuzzMessage } from './fuzz-tar.ts';

const [name = '', runsText = ''] = process.argv.slice(2);
const property = PROPERTIES[name];
const numRuns = Number(runsText);
if (!property || !Number.isInteger(numRuns) || !process.send) {
  throw new Error(
    `usage: fuzz-tar-child.ts <${Object.keys(PROPERTIES).join('|')}> <numRuns> (over IPC)`,
  );
}
const send = (message: FuzzMessage, callback: () => void = () => {}) =>
  process.send!(message, undefined, undefined, callback);

const rssStart = process.memoryUsage().rss;
let rssPeak = rssStart;
let index = 0;
let caseStarted = 0;
let slowestCaseMs = 0;

function endCase(): void {
  if (caseStarted > 0) slowestCaseMs = Math.max(slowestCaseMs, performance.now() - caseStarted);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}

const result = await property((description, input) => {
  endCase();
  caseStarted = performance.now();
  send({
    type: 'case',
    index: index++,
    description,
    input: input.subarray(0, 4096).toString('base64'),
    inputLength: input.length,
  });
}, numRuns);
endCase();
send(
  {
    type: 'done',
    failed: result.failed,
    report: result.report,
    numRuns: result.numRuns,
    rssStart,
    rssPeak,
    rssEnd: process.memoryUsage().rss,
    slowestCaseMs,
  },
  () => process.disconnect(),
);
