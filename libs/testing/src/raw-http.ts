import { connect, type Socket } from 'node:net';

/** A raw TCP connection to a test server that sends an HTTP request at the pace the test chooses. */
export interface RawRequest {
  socket: Socket;
  /** Everything the server sent, so far. */
  received(): string;
  /** Settles when the server (or the test) closed the connection, with everything it sent. */
  closed: Promise<string>;
  /** Stops sending and closes the connection. */
  stop(): void;
}

export interface RawRequestOptions {
  /** The client address (any 127.x.y.z on Linux): another address for the server's per-IP counts. */
  localAddress?: string;
  /** Then send `drip` once every `everyMs`, for ever (a slow head or a slow body). */
  drip?: string;
  everyMs?: number;
}

/**
 * Opens a connection to 127.0.0.1:`port`, writes `text` at once, then (with `drip`) keeps
 * sending a little at a time: the client of a slowloris or slow-body test. Resolves once
 * connected.
 */
export function rawRequest(port: number, text: string, options: RawRequestOptions = {}): Promise<RawRequest> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress });
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    const closed = new Promise<string>((done) =>
      socket.once('close', () => {
        clearInterval(timer);
        done(data);
      }),
    );
    socket.once('error', (err) => (socket.connecting ? reject(err) : undefined));
    socket.once('connect', () => {
      socket.on('error', () => undefined); // a reset by the server is an ending the test reads from `closed`
      socket.write(text);
      if (options.drip !== undefined) timer = setInterval(() => socket.writable && socket.write(options.drip!), options.everyMs ?? 200);
      resolve({
        socket,
        received: () => data,
        closed,
        stop: () => {
          clearInterval(timer);
          socket.destroy();
        },
      });
    });
  });
}

/** An HTTP/1.1 request head for `rawRequest` (`Connection: close`, so the answer ends the connection). */
export function requestHead(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ Host: '127.0.0.1', Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** The status code of a raw HTTP answer, or undefined when the server sent none. */
export function statusOf(answer: string): number | undefined {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  return m ? Number(m[1]) : undefined;
}
