import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The repository root, whether this runs from source (jest) or from dist/ (bench). */
const UP2 = join(__dirname, '..', '..');
const ROOT = basename(UP2) === 'dist' ? join(UP2, '..') : UP2;

/** A gateway (or api) started from the built app as its own OS process. */
export interface AppProcess {
  proc: ChildProcess;
  pid: number;
  port: number;
  url: string;
  http: string;
  /** Every log line it printed (stdout and stderr). */
  logs: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node dist/apps/<app>/main.js` with the given environment on a free port and
 * resolves when it logs the line saying where it listens. Needs `npm run build` first.
 */
export function startAppProcess(app: 'gateway' | 'api' | 'standalone', env: Record<string, string>, timeoutMs = 15000): Promise<AppProcess> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'main.js')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${app} did not start within ${timeoutMs}ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      let entry: { port?: number; msg?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof entry.port === 'number' && /listening/.test(entry.msg ?? '')) {
        clearTimeout(timer);
        const port = entry.port;
        resolve({
          proc,
          pid: proc.pid!,
          port,
          url: `ws://127.0.0.1:${port}`,
          http: `http://127.0.0.1:${port}`,
          logs,
          exited,
          stop: async (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    };
    lines(proc.stdout!, onLine);
    lines(proc.stderr!, onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

/** Resident set size of a process in bytes (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU time (user + system) a process has used, in microseconds (Linux). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / CLOCK_TICKS;
}

const CLOCK_TICKS = 100;
