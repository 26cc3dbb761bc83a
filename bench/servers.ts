import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startAppProcess } from '../libs/testing/gateway-process';
import { ended, track } from './children';

export type Target = 'switchboard' | 'ws-reference';

/** A server process under measurement. */
export interface ServerUnderTest {
  target: Target;
  pid: number;
  port: number;
  logs: string[];
  /** Asks it to exit (SIGTERM), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** The environment the gateway runs with: limits out of the way of the load, quick drain. */
export function gatewayEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_SECRET: 'bench-secret-0123456789abcdef',
    BUS: 'memory',
    WEBSOCKET_MAX_CONNECTIONS: '20000',
    WEBSOCKET_CONNECT_RATE: '100000',
    WEBSOCKET_CONNECT_BURST: '100000',
    WEBSOCKET_MESSAGE_RATE: '1000000',
    WEBSOCKET_MESSAGE_BURST: '1000000',
    WEBSOCKET_MAX_MESSAGE_SIZE: '65536',
    WEBSOCKET_MAX_ROOM_MEMBERS: '20000',
    WEBSOCKET_DRAIN_TIMEOUT: '0s',
    ...extra,
  };
}

export async function startServer(target: Target, extraEnv: Record<string, string> = {}): Promise<ServerUnderTest> {
  return target === 'switchboard' ? startSwitchboard(extraEnv) : startReference();
}

async function startSwitchboard(extraEnv: Record<string, string>): Promise<ServerUnderTest> {
  const app = await startAppProcess('gateway', gatewayEnv(extraEnv));
  track(app.proc);
  return {
    target: 'switchboard',
    pid: app.pid,
    port: app.port,
    logs: app.logs,
    stop: () => ended((app.proc.kill('SIGTERM'), app.proc), 10_000),
  };
}

function startReference(timeoutMs = 10_000): Promise<ServerUnderTest> {
  const proc = track(
    spawn(process.execPath, [join(__dirname, 'ws-reference-server.js')], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
  );
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`ws-reference did not start within ${timeoutMs}ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ws-reference exited with ${code} before listening:\n${logs.join('\n')}`));
    });
    proc.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    let buf = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { port?: number };
          if (typeof entry.port !== 'number') continue;
          clearTimeout(timer);
          resolve({
            target: 'ws-reference',
            pid: proc.pid!,
            port: entry.port,
            logs,
            stop: () => ended((proc.kill('SIGTERM'), proc), 5_000),
          });
        } catch {
          // not a JSON line
        }
      }
    });
  });
}
