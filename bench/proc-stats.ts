import { readFileSync } from 'node:fs';
import { cpuMicros, rssBytes, sleep } from '@switchboard/testing';

export { cpuMicros, rssBytes };

/** CPU time a process has used, split into user and system (kernel) time, in microseconds (Linux). */
export function cpuSplitMicros(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1e6) / CLOCK_TICKS, system: (Number(fields[12]) * 1e6) / CLOCK_TICKS };
}

/** Write syscalls (write, writev…) a process has made so far (Linux, /proc/<pid>/io). */
export function writeSyscalls(pid: number): number {
  const m = /syscw:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Peak resident set size over the process's life (VmHWM), in bytes (Linux). */
export function hwmBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * CPU time every process on the machine spent (user + nice + system), in microseconds.
 * Interrupt time is left out: loopback traffic's softirq work belongs to no process.
 */
export function machineBusyMicros(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = fields[0] + fields[1] + fields[2];
  return (busy * 1e6) / CLOCK_TICKS;
}

const CLOCK_TICKS = 100;

/** Samples a process's RSS on an interval and keeps the highest value seen. */
export class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }

  private sample(): void {
    try {
      this.peak = Math.max(this.peak, rssBytes(this.pid));
    } catch {
      // The process is gone; keep what was seen.
    }
  }
}

/**
 * Waits until a process uses less than `busyMicros` of CPU per `windowMs` (it finished
 * what the setup gave it), at most `capMs`. Returns how long it waited.
 */
export async function waitForQuiet(pid: number, windowMs = 250, busyMicros = 20_000, capMs = 10_000): Promise<number> {
  const started = Date.now();
  let before = cpuMicros(pid);
  while (Date.now() - started < capMs) {
    await sleep(windowMs);
    const now = cpuMicros(pid);
    if (now - before < busyMicros) break;
    before = now;
  }
  return Date.now() - started;
}

/** RSS once the process has settled: waits, then reads a few times and keeps the last. */
export async function settledRss(pid: number, waitMs = 2000, reads = 3, everyMs = 500): Promise<number> {
  await sleep(waitMs);
  let rss = rssBytes(pid);
  for (let i = 1; i < reads; i++) {
    await sleep(everyMs);
    rss = rssBytes(pid);
  }
  return rss;
}
