import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { ended, track } from './children';

/** What every bench client process may send; `fatal` (with `error`) when a command failed in it. */
interface ClientEvent {
  ev: string;
}
type FatalEvent = { ev: 'fatal'; error: string };

type EventOf<E extends ClientEvent, K extends E['ev']> = Extract<E, { ev: K }>;

/**
 * One forked bench client process (`load-client.js`, `scale-client.js`) spoken to over IPC.
 * `next` resolves with the next event of a kind; it rejects when the wait times out, and at
 * once when the process fails (exits, or reports `fatal`), so a dead client never leaves the
 * orchestrator waiting out a timeout.
 */
export class ClientProcess<C, E extends ClientEvent> {
  readonly proc: ChildProcess;
  failure?: Error;
  private readonly waiters = new Map<string, Array<(e: E) => void>>();
  private readonly onFailure = new Set<(err: Error) => void>();
  private readonly listeners: Array<(e: E) => void> = [];

  /** `script`: a file beside this one (compiled), e.g. `load-client.js`; `label` names the process in errors. */
  constructor(
    readonly label: string,
    script: string,
    execArgv: string[] = [],
  ) {
    this.proc = track(fork(join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv }));
    this.proc.on('message', (e: E) => this.onEvent(e));
    this.proc.once('exit', (code, signal) => this.fail(new Error(`${label} exited (${code ?? signal})`)));
  }

  /** Sees every event before any `next` waiting for it. */
  listen(listener: (e: E) => void): void {
    this.listeners.push(listener);
  }

  send(cmd: C): void {
    if (this.proc.connected) this.proc.send(cmd as object);
  }

  /** Sends a command and waits for the event that answers it (listening before sending, so no answer is missed). */
  ask<K extends E['ev']>(cmd: C, ev: K, timeoutMs: number): Promise<EventOf<E, K>> {
    const answer = this.next(ev, timeoutMs);
    this.send(cmd);
    return answer;
  }

  /** The next event of a kind, or an error if the process fails or the wait times out. */
  next<K extends E['ev']>(ev: K, timeoutMs: number): Promise<EventOf<E, K>> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const list = this.waiters.get(ev) ?? [];
      const done = (e: E) => {
        clearTimeout(timer);
        this.onFailure.delete(onFail);
        resolve(e as EventOf<E, K>);
      };
      const forget = () => {
        const at = list.indexOf(done);
        if (at >= 0) list.splice(at, 1);
      };
      const onFail = (err: Error) => {
        clearTimeout(timer);
        forget();
        reject(err);
      };
      const timer = setTimeout(() => {
        this.onFailure.delete(onFail);
        forget();
        reject(new Error(`${this.label}: no "${ev}" within ${timeoutMs}ms`));
      }, timeoutMs);
      this.onFailure.add(onFail);
      list.push(done);
      this.waiters.set(ev, list);
    });
  }

  /** Asks the process to close and waits for it to exit (SIGKILL after `graceMs`). */
  async close(cmd: C, graceMs: number): Promise<void> {
    this.send(cmd);
    await ended(this.proc, graceMs);
  }

  private onEvent(e: E): void {
    for (const listener of this.listeners) listener(e);
    if (e.ev === 'fatal') return this.fail(new Error(`${this.label}: ${(e as unknown as FatalEvent).error}`));
    this.waiters.get(e.ev)?.shift()?.(e);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const f of this.onFailure) f(err);
    this.onFailure.clear();
  }
}
