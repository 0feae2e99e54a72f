/**
 * Timing one child process: wall clock (hrtime around spawn → close), CPU time and peak RSS.
 *
 * Preferred meter: GNU time (`/usr/bin/time -f '%e %U %S %M'`, Debian package `time`). It reads
 * the rusage that wait4() returns for the command, so %M is the largest peak RSS of the command
 * and of every descendant it waited for (for a shell pipeline: the largest single process, not a
 * sum), and user/sys include those descendants.
 *
 * Fallback when GNU time is missing: sample /proc/<pid>/status (VmHWM) of the child and its
 * descendants, and /proc/<pid>/stat (utime+stime+cutime+cstime), every few milliseconds. The last
 * sample before exit is a lower bound (a process living < 1 sample period can be missed); Node's
 * `process.resourceUsage()` cannot be used because it only covers the calling process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Sample {
  wallSeconds: number;
  userSeconds: number;
  sysSeconds: number;
  maxRssKiB: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Meter {
  kind: 'gnu-time' | 'proc-sampling';
  description: string;
  run(argv: string[]): Promise<Sample>;
  close(): void;
}

const GNU_TIME = '/usr/bin/time';
const MAX_CAPTURE = 64 * 1024;

interface Spawned {
  wallSeconds: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  pid: number;
}

function spawnTimed(argv: string[], onSpawn?: (pid: number) => void): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    if (command === undefined) {
      reject(new Error('empty command'));
      return;
    }
    const t0 = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < MAX_CAPTURE) stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < MAX_CAPTURE) stderr += s;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve({
        wallSeconds,
        exitCode: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        pid: child.pid ?? -1,
      });
    });
  });
}

function gnuTimeMeter(): Meter {
  const dir = mkdtempSync(path.join(tmpdir(), 'shale-bench-'));
  const out = path.join(dir, 'time.txt');
  return {
    kind: 'gnu-time',
    description: `GNU time (${GNU_TIME} -f '%e %U %S %M'): rusage of the command and its waited-for children`,
    async run(argv) {
      const r = await spawnTimed([GNU_TIME, '-f', '%e %U %S %M', '-o', out, ...argv]);
      // On failure GNU time writes "Command exited with non-zero status N" before the figures.
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      const fields = (lines[lines.length - 1] ?? '').trim().split(/\s+/).map(Number);
      const [, user = NaN, sys = NaN, rss = NaN] = fields;
      return {
        wallSeconds: r.wallSeconds,
        userSeconds: user,
        sysSeconds: sys,
        maxRssKiB: rss,
        exitCode: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
      };
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function descendants(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const p = all[i]!;
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const text = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (text) all.push(...text.split(/\s+/).map(Number));
      }
    } catch {
      // gone already
    }
  }
  return all;
}

function procSamplingMeter(): Meter {
  const ticks = 100; // USER_HZ on Linux
  return {
    kind: 'proc-sampling',
    description:
      'sampling /proc/<pid>/{status,stat} every 5 ms (GNU time missing: peak RSS and CPU are lower bounds)',
    async run(argv) {
      let rssKiB = 0;
      let cpuTicks = [0, 0];
      let timer: NodeJS.Timeout | undefined;
      const sample = (root: number) => {
        for (const pid of descendants(root)) {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
            if (m) rssKiB = Math.max(rssKiB, Number(m[1]));
          } catch {
            // exited between listing and reading
          }
        }
        try {
          const stat = readFileSync(`/proc/${root}/stat`, 'utf8');
          const f = stat
            .slice(stat.lastIndexOf(')') + 2)
            .split(' ')
            .map(Number);
          // fields after ")": state=0 … utime=11 stime=12 cutime=13 cstime=14
          cpuTicks = [(f[11] ?? 0) + (f[13] ?? 0), (f[12] ?? 0) + (f[14] ?? 0)];
        } catch {
          // exited
        }
      };
      const r = await spawnTimed(argv, (pid) => {
        sample(pid);
        timer = setInterval(() => sample(pid), 5);
      });
      clearInterval(timer);
      return {
        wallSeconds: r.wallSeconds,
        userSeconds: (cpuTicks[0] ?? 0) / ticks,
        sysSeconds: (cpuTicks[1] ?? 0) / ticks,
        maxRssKiB: rssKiB,
        exitCode: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
      };
    },
    close() {},
  };
}

/** Runs every command under `nice -n N` (nice execs it: same process, same rusage). */
function niced(meter: Meter, nice: number): Meter {
  if (nice === 0) return meter;
  return {
    ...meter,
    description: `${meter.description}; commands run under nice -n ${nice}`,
    run: (argv) => meter.run(['nice', '-n', String(nice), ...argv]),
  };
}

/** GNU time when it is installed and works, else /proc sampling; `nice` != 0 wraps commands. */
export async function createMeter(
  prefer: 'auto' | 'gnu-time' | 'proc-sampling' = 'auto',
  nice = 0,
): Promise<Meter> {
  return niced(await pickMeter(prefer), nice);
}

async function pickMeter(prefer: 'auto' | 'gnu-time' | 'proc-sampling'): Promise<Meter> {
  if (prefer !== 'proc-sampling' && existsSync(GNU_TIME)) {
    const meter = gnuTimeMeter();
    try {
      const probe = await meter.run(['true']);
      if (probe.exitCode === 0 && Number.isFinite(probe.maxRssKiB) && probe.maxRssKiB > 0)
        return meter;
    } catch {
      // not GNU time (e.g. no -o/-f support)
    }
    meter.close();
  }
  if (prefer === 'gnu-time')
    throw new Error(`${GNU_TIME} (GNU time, Debian package "time") is needed`);
  return procSamplingMeter();
}

/** Machine-wide CPU time spent busy so far (all cores, seconds), from /proc/stat; undefined off Linux. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal …
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wait (at most `maxSeconds`) until the machine is quiet: less than `threshold` of its CPU busy
 * over a one-second window. Resolves to the last busy share seen (undefined off Linux).
 */
export async function waitForIdle(
  maxSeconds: number,
  cores: number,
  threshold = 0.15,
): Promise<number | undefined> {
  const deadline = performance.now() + maxSeconds * 1000;
  let share: number | undefined;
  do {
    const b0 = machineBusySeconds();
    const t0 = performance.now();
    await sleep(1000);
    const b1 = machineBusySeconds();
    if (b0 === undefined || b1 === undefined) return undefined;
    share = (b1 - b0) / (((performance.now() - t0) / 1000) * cores);
    if (share < threshold) return share;
  } while (performance.now() < deadline);
  return share;
}
