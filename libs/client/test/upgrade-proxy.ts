import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type LibraryPage, openLibraryPage } from './chromium';

/**
 * An HTTP proxy in front of one gateway or several, as a corporate proxy or a load balancer
 * would stand: it forwards plain requests (SSE streams and POSTs, unbuffered responses) and,
 * while `refuseUpgrades` is set, answers every WebSocket upgrade with 400 (while `holdUpgrades`
 * is set, with nothing). With several gateways each request goes to the next one in turn, with
 * no affinity; a gateway that refuses the connection leaves the turn and the request goes to
 * the next one (as nginx's `proxy_next_upstream error`). `cut()` drops every connection through
 * it, as a network loss would.
 */
export class UpgradeProxy {
  refuseUpgrades = false;
  /** Upgrades get no answer at all (a proxy that holds them). */
  holdUpgrades = false;
  upgradesRefused = 0;
  readonly posts: string[] = [];
  /** The gateway each POST went to, in order. */
  readonly postTargets: string[] = [];
  /** The gateway each stream (`Accept: text/event-stream`) went to, in order. */
  readonly streamTargets: string[] = [];
  /** An HTML page served at `/page` (for a browser test: the streams are same-origin). */
  page: string | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly live: string[];
  private turn = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    targets: string[],
  ) {
    this.live = [...targets];
  }

  static async start(target: string | string[]): Promise<UpgradeProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new UpgradeProxy(server, `ws://127.0.0.1:${(server.address() as { port: number }).port}`, typeof target === 'string' ? [target] : target);
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    server.on('request', (req, res) => proxy.request(req, res));
    server.on('upgrade', (req, socket: Socket, head: Buffer) => proxy.upgrade(req, socket, head));
    return proxy;
  }

  /** Chromium with the library page (chromium.ts, `head` first) served from this proxy's origin, so that its streams and POSTs are same-origin. */
  async openPage(head = ''): Promise<LibraryPage> {
    const chromium = await openLibraryPage(head);
    this.page = await chromium.page.content();
    await chromium.page.goto(`${this.url.replace('ws:', 'http:')}/page`);
    return chromium;
  }

  /** Drops every connection through the proxy (streams, sockets, idle keep-alives). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private next(): string | undefined {
    if (this.live.length === 0) return undefined;
    this.turn = (this.turn + 1) % this.live.length;
    return this.live[this.turn];
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/page' && this.page !== undefined) return void res.writeHead(200, { 'content-type': 'text/html' }).end(this.page);
    // The body is read first (as nginx buffers it), so that it can go to another gateway when one refuses the connection.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.forward(req, res, Buffer.concat(chunks)));
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const target = this.next();
    if (target === undefined) return void res.writeHead(502).end();
    const { hostname, port } = new URL(target);
    let answered = false;
    const upstream = request({ host: hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      answered = true;
      if (req.method === 'POST') {
        this.posts.push(req.url ?? '');
        this.postTargets.push(target);
      }
      if (String(req.headers.accept).includes('text/event-stream')) this.streamTargets.push(target);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.flushHeaders();
      answer.pipe(res);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (answered || err.code !== 'ECONNREFUSED') return void res.destroy();
      this.live.splice(this.live.indexOf(target), 1); // that gateway is gone: the next one takes the request
      this.forward(req, res, body);
    });
    res.on('close', () => upstream.destroy());
    upstream.end(body);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.holdUpgrades) return;
    if (this.refuseUpgrades) {
      this.upgradesRefused += 1;
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const target = this.next();
    if (target === undefined) return void socket.destroy();
    const { hostname, port } = new URL(target);
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
  }
}
