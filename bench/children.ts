import type { ChildProcess } from 'node:child_process';

/**
 * Every process the bench started, so that whatever ends the bench — done, an error, a
 * signal — ends them too. Killing is synchronous (SIGKILL) so it works in an `exit` handler.
 */
const children = new Set<ChildProcess>();
/** Synchronous clean-ups for what is not a ChildProcess of ours (a redis-server known by pid). */
const cleanups = new Set<() => void>();

export function track(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** Runs `cleanup` (synchronous) when the bench ends, whatever ends it; returns a function that cancels it. */
export function atExit(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}

export function killAll(): void {
  for (const proc of children) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  children.clear();
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // keep going: the others must run too
    }
  }
  cleanups.clear();
}

/** Waits for a process to exit; SIGKILLs it after `graceMs`. */
export async function ended(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exit;
  clearTimeout(timer);
}

/**
 * Kills every child on exit, on SIGINT/SIGTERM/SIGHUP, and on an uncaught error; then
 * `report` may print what was measured before the process exits.
 */
export function killChildrenOnExit(report: (why: string) => void = () => undefined): void {
  process.on('exit', killAll);
  const stop = (why: string, code: number) => {
    process.stderr.write(`\nbench: ${why}; stopping every process it started\n`);
    killAll();
    try {
      report(why);
    } finally {
      process.exit(code);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop(signal, 130));
  process.on('uncaughtException', (err) => stop(err.stack ?? err.message, 1));
  process.on('unhandledRejection', (err) => stop(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`, 1));
}
