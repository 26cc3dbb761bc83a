import { startTcpBalancer } from '@switchboard/testing';
import { type MessageFrame, type PresenceFrame, SwitchboardClient } from '../src/node';
import { TestCluster, token, until } from './cluster';

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
    const lb = await startTcpBalancer(() => order.filter((g) => g.proc.exitCode === null && g.proc.signalCode === null));
    const client = new SwitchboardClient({ url: `${lb.url}/ws/auth`, token: token('rita'), initialDelayMs: 100, maxDelayMs: 1000 });
    const closes: number[] = [];
    const reconnects: Array<{ attempt: number; delayMs: number }> = [];
    const messages: MessageFrame[] = [];
    client.on('close', ({ code }) => closes.push(code));
    client.on('reconnecting', ({ attempt, delayMs }) => reconnects.push({ attempt, delayMs }));
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
    // Each wait stays within its backoff bound: initialDelayMs doubling per attempt, capped at maxDelayMs.
    expect(reconnects.length).toBeGreaterThan(0);
    for (const { attempt, delayMs } of reconnects) expect(delayMs).toBeLessThan(Math.min(1000, 100 * 2 ** (attempt - 1)));
    expect(client.connected).toBe(true);

    observer.say('lobby', 'welcome back');
    await until('the message after the reconnect', 20_000, () => messages.find((m) => m.content === 'welcome back'));
    client.close();
    observer.close();
    lb.close();
  }, 60000);

  it('misses nothing through a drain: messages sent meanwhile arrive once each, in order, after the rejoin', async () => {
    const fresh = await cluster.add();
    const other = cluster.gateways[1];
    let order = [fresh, other];
    const lb = await startTcpBalancer(() => order.filter((g) => g.proc.exitCode === null && g.proc.signalCode === null));
    const client = new SwitchboardClient({ url: `${lb.url}/ws/auth`, token: token('rhea'), initialDelayMs: 200, maxDelayMs: 1000 });
    const got: string[] = [];
    const gaps: unknown[] = [];
    client.on('message', (f) => got.push(String(f.content)));
    client.on('gap', (g) => gaps.push(g));
    await client.connect();
    await client.join('resume');
    const sender = new SwitchboardClient({ url: `${other.url}/ws/auth`, token: token('sven') });
    await sender.connect();
    await sender.join('resume');

    const sent: string[] = [];
    for (let i = 0; i < 60; i++) {
      if (i === 15) {
        order = [other, fresh];
        void fresh.stop('SIGTERM');
      }
      sent.push(`m${i}`);
      sender.say('resume', `m${i}`);
      await new Promise((r) => setTimeout(r, 15));
    }
    await until('every message', 20_000, () => got.length >= 60);
    // A last message closes the run: anything repeated or late would come before it, in room order.
    sent.push('end');
    sender.say('resume', 'end');
    await until('the closing message', 20_000, () => got.includes('end'));
    expect(got).toEqual(sent);
    expect(gaps).toEqual([]);
    client.close();
    sender.close();
    lb.close();
  }, 60000);

    it('speaks the channels dialect: join confirmed, presence of the next member, leave', async () => {
    const url = `${cluster.gateways[1].url}/api/v1/ws`; // the first replica was drained above
    const first = new SwitchboardClient({ url, token: token('chan-a') });
    const second = new SwitchboardClient({ url: `${cluster.gateways[1].url}/api/v1/ws`, token: token('chan-b') });
    const presence: PresenceFrame[] = [];
    first.on('presence', (f) => presence.push(f));
    await first.connect();
    expect(await first.join('general')).toMatchObject({ type: 'channel_joined', channel_id: 'general' });
    await second.connect();
    await second.join('general');
    await until('chan-b joined, seen by chan-a', 20_000, () => presence.find((f) => f.type === 'channel_joined' && f.username === 'chan-b'));
    await second.leave('general');
    await until('chan-b left', 20_000, () => presence.find((f) => f.type === 'channel_left' && f.username === 'chan-b'));
    expect(() => first.say('general', 'x')).toThrow(/POST \/api\/v1\/messages/);
    first.close();
    second.close();
  }, 30000);
});
