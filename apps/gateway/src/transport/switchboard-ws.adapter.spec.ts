import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { Identity } from '@switchboard/auth';
import { DIALECTS } from '../dialects';
import { Metrics } from '@switchboard/observability';
import { FlowControl } from './flow-control';
import { loadConfig } from '@switchboard/config';
import type { Connection } from './connection';
import type { HandshakeService, Verdict } from './handshake.service';
import { matchRoute, type Route } from './routes';
import { SwitchboardWsAdapter } from './switchboard-ws.adapter';
import { WriteBatcher } from './write-batcher';

const identity: Identity = { userId: 'u1', username: 'alice', permissions: [], authenticated: true };

/**
 * The adapter on a plain HTTP server with a stand-in handshake (the real one has its own
 * tests): what a real `ws` client sees of refusals, decoding, errors and the rate limit.
 */
describe('SwitchboardWsAdapter', () => {
  let http: Server;
  let url: string;
  let adapter: SwitchboardWsAdapter;
  const handshake = {
    admit(req: { url?: string; headers: Record<string, string | undefined> }): Verdict | Promise<Verdict> {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.searchParams.get('token') !== 'good') return { ok: false, status: 401, reason: 'missing or invalid token' };
      const route = matchRoute(DIALECTS, u.pathname, u.searchParams) as Route;
      const verdict: Verdict = { ok: true, route, identity, ip: '127.0.0.1', release: () => undefined };
      return u.searchParams.has('slow') ? new Promise((r) => setTimeout(() => r(verdict), 20)) : verdict;
    },
  } as unknown as HandshakeService;

  beforeAll(async () => {
    http = createServer();
    const config = loadConfig({});
    const registry = { all: () => [] };
    adapter = new SwitchboardWsAdapter(http as never, {
      handshake,
      metrics: new Metrics(false),
      maxMessageSize: () => 256,
      nextConnectionId: (() => {
        let n = 0;
        return () => String(++n);
      })(),
      opened: () => undefined,
      context: {
        batcher: new WriteBatcher(),
        flow: new FlowControl(config, registry),
        maxPendingBytes: 1 << 20,
        messageRate: 1,
        messageBurst: 5,
        rateLimitStrikes: 3,
        onErrorFrame: () => undefined,
        onInternalError: () => undefined,
      },
    });
    const server = adapter.create(0, { path: '/ws' });
    adapter.bindClientConnect(server, (conn) => {
      adapter.bindMessageHandlers(conn as Connection, [{ message: 'ping', callback: () => ({ kind: 'pong', ts: 0 }) } as never], () => undefined as never);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  /** Opens a client and collects what it receives. */
  async function open(path: string): Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>>; closed: Promise<number> }> {
    const ws = new WebSocket(`${url}${path}`);
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return { ws, frames, closed };
  }
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('answers a refused handshake over HTTP, with its status, a JSON reason and WWW-Authenticate', async () => {
    const ws = new WebSocket(`${url}/ws?token=bad`);
    const res = await new Promise<{ status?: number; auth?: string; body: string }>((resolve) =>
      ws.once('unexpected-response', (_req, r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode, auth: r.headers['www-authenticate'] as string, body }));
      }),
    );
    expect(res).toEqual({ status: 401, auth: 'Bearer', body: JSON.stringify({ error: 'missing or invalid token', status: 401 }) });
  });

  it('hands decoded commands to the gateway handler and writes its reply; answers a verdict that came later the same way', async () => {
    for (const path of ['/ws?token=good', '/ws?token=good&slow=1']) {
      const c = await open(path);
      c.ws.send('{"type":"ping"}');
      await waitFor(() => c.frames.length > 0);
      expect(c.frames[0]).toMatchObject({ type: 'pong' });
      c.ws.close();
    }
  });

  it('answers malformed, unknown, unsupported and binary frames with an error frame and keeps the connection', async () => {
    const c = await open('/ws?token=good');
    c.ws.send('{nope');
    c.ws.send('{"type":"teleport"}');
    c.ws.send('{"type":"message","room":"r","content":"x"}'); // a rooms command this test gateway has no handler for
    c.ws.send(Buffer.from([1, 2, 3]));
    await waitFor(() => c.frames.length >= 4);
    expect(c.frames.map((f) => (f.data as { code: string }).code)).toEqual(['bad_json', 'unknown_type', 'unknown_type', 'binary_unsupported']);
    // Each names the frame it answers (re) and its room, where the frame gave them.
    expect(c.frames.map((f) => [f.re, f.room])).toEqual([
      [undefined, undefined],
      ['teleport', undefined],
      ['message', 'r'],
      [undefined, undefined],
    ]);
    c.ws.send('{"type":"ping"}');
    await waitFor(() => c.frames.length >= 5);
    expect(c.frames[4]).toMatchObject({ type: 'pong' });
    c.ws.close();
  });

  it('closes 1009 on a frame over the size limit', async () => {
    const c = await open('/ws?token=good');
    c.ws.send(`{"type":"ping","pad":"${'x'.repeat(300)}"}`);
    expect(await c.closed).toBe(1009);
  });

  it('drops frames over the rate with one error, then closes 1008 if they keep coming', async () => {
    const c = await open('/ws?token=good');
    for (let i = 0; i < 10; i++) c.ws.send('{"type":"ping"}');
    expect(await c.closed).toBe(1008);
    const errors = c.frames.filter((f) => f.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ data: { code: 'rate_limited' }, re: 'ping' });
    expect(c.frames.filter((f) => f.type === 'pong')).toHaveLength(5);
  });
});
