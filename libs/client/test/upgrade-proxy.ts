import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * An HTTP proxy in front of one gateway, as a corporate proxy would stand: it forwards plain
 * requests (SSE streams and POSTs, unbuffered) and, while `refuseUpgrades` is set, answers every
 * WebSocket upgrade with 400 (while `holdUpgrades` is set, with nothing). `cut()` drops every connection through it, as a network loss would.
 */
export class UpgradeProxy {
  refuseUpgrades = false;
  /** Upgrades get no answer at all (a proxy that holds them). */
  holdUpgrades = false;
  upgradesRefused = 0;
  readonly posts: string[] = [];
  /** An HTML page served at `/page` (for a browser test: the streams are same-origin). */
  page: string | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<UpgradeProxy> {
    const { hostname, port } = new URL(target);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new UpgradeProxy(server, `ws://127.0.0.1:${(server.address() as { port: number }).port}`);
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      if (req.url === '/page' && proxy.page !== undefined) return void res.writeHead(200, { 'content-type': 'text/html' }).end(proxy.page);
      if (req.method === 'POST') proxy.posts.push(req.url ?? '');
      const upstream = request({ host: hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    server.on('upgrade', (req, socket: Socket, head: Buffer) => {
      if (proxy.holdUpgrades) return;
      if (proxy.refuseUpgrades) {
        proxy.upgradesRefused += 1;
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      const upstream = connect(Number(port), hostname, () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length > 0) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      const end = () => {
        upstream.destroy();
        socket.destroy();
      };
      upstream.on('error', end);
      socket.on('error', end);
      socket.on('close', end);
      upstream.on('close', end);
    });
    return proxy;
  }

  /** Drops every connection through the proxy (streams, sockets, idle keep-alives). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
