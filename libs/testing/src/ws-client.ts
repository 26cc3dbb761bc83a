import WebSocket from 'ws';

import { type Frame, FrameLog } from './frame-log';

export type { Frame } from './frame-log';

/**
 * A real `ws` client for tests: records every frame and lets a test wait for the next
 * frame matching a predicate (or of a type), with a bounded wait.
 */
export class TestClient extends FrameLog {
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data) => this.received(JSON.parse(data.toString()) as Frame));
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.ended(code, reason.toString());
        resolve(code);
      }),
    );
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends and waits for the reply frame of a type. */
  async ask(frame: unknown, replyType: string): Promise<Frame> {
    this.send(frame);
    return this.next(replyType);
  }

  close(): Promise<number> {
    if (this.closeCode === undefined) this.ws.close();
    return this.closed;
  }
}

/** Opens a raw upgrade and reports the HTTP status the server answered. */
export function upgradeStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}
