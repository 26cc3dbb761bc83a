import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AppProcess } from '../../testing/gateway-process';
import { type ServerFrame, SwitchboardClient } from '../src/node';
import { TestCluster, token, until } from './cluster';

/** A stand-in for the load balancer: each connection goes to the first backend that accepts it. */
function balancer(backends: () => AppProcess[]): Promise<{ server: Server; url: string }> {
  const server = createServer((client: Socket) => {
    const tryBackend = (i: number) => {
      const list = backends();
      if (i >= list.length) return client.destroy();
      const upstream = connect(list[i].port, '127.0.0.1');
      upstream.once('connect', () => {
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      upstream.once('error', () => tryBackend(i + 1));
    };
    tryBackend(0);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `ws://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

describe('SwitchboardClient reconnects', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start(2);
  }, 60000);
  afterAll(async () => {
    await cluster.stop();
  });

  it('after its replica is drained (1012), with backoff, and is back in its rooms', async () => {
    const [first, second] = cluster.gateways;
    let order = [first, second];
    const lb = await balancer(() => order.filter((g) => g.proc.exitCode === null && g.proc.signalCode === null));
    const client = new SwitchboardClient({ url: `${lb.url}/ws/auth`, token: token('rita'), initialDelayMs: 100, maxDelayMs: 1000 });
    const closes: number[] = [];
    const delays: number[] = [];
    const messages: ServerFrame[] = [];
    client.on('close', ({ code }) => closes.push(code));
    client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
    client.on('message', (f) => messages.push(f));
    const rejoined = new Promise<string[]>((resolve) => client.once('rejoined', resolve));
    await client.connect();
    await client.join('lobby');
    await client.join('news');

    const observer = new SwitchboardClient({ url: `${second.url}/ws/auth`, token: token('otto') });
    await observer.connect();
    await observer.join('lobby');

    order = [second, first];
    await first.stop('SIGTERM');
    expect((await rejoined).sort()).toEqual(['lobby', 'news']);
    expect(closes[0]).toBe(1012);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0);
    expect(client.connected).toBe(true);

    observer.say('lobby', 'welcome back');
    await until('the message after the reconnect', () => messages.find((m) => m.content === 'welcome back'));
    client.close();
    observer.close();
    lb.server.close();
  }, 60000);
});
