import { setRuntime } from './runtime';
import { SignalingClient, SignalingError } from './signaling-client';
import type { WebSocketLike } from './types';

/** A socket the test answers by hand. */
class FakeSocket implements WebSocketLike {
  readyState = 1;
  sent: Array<Record<string, unknown>> = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  reply(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

describe('SignalingClient requests', () => {
  let socket: FakeSocket;
  let client: SignalingClient;
  beforeEach(async () => {
    setRuntime({
      createWebSocket: () => (socket = new FakeSocket()),
      createPeerConnection: () => {
        throw new Error('not used');
      },
      channelBytes: (b) => b,
    });
    const connecting = SignalingClient.connect('ws://h/signaling', { apiKey: 'k' }, { timeoutMs: 1000 });
    socket.reply({ type: 'welcome', client_id: 7 });
    client = await connecting;
  });
  afterEach(() => jest.useRealTimers());

  it('rejects a rate-limited create_room with the server error', async () => {
    const created = client.createRoom();
    socket.reply({ type: 'error', code: 'rate_limited', message: 'rate limit exceeded', re: 'create_room' });
    const err = await created.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignalingError);
    expect(err).toMatchObject({ code: 'rate_limited', re: 'create_room' });
  });

  it('passes a relay error on as an event and leaves pending requests waiting for their own answers', async () => {
    const events: SignalingError[] = [];
    client.on('error', (e) => events.push(e));
    const joined = client.joinRoom(5);
    const pinged = client.ping();
    // A bus failure reported after the fact for an earlier offer, then one without any `re`.
    socket.reply({ type: 'error', code: 'unavailable', message: 'bus down', re: 'offer' });
    socket.reply({ type: 'error', code: 'unknown_peer', message: 'peer 9 is not in any of your rooms' });
    socket.reply({ type: 'room_joined', room_id: 5, peers: [3] });
    socket.reply({ type: 'pong', timestamp: 1 });
    await expect(joined).resolves.toEqual([3]);
    await expect(pinged).resolves.toBeUndefined();
    expect(events.map((e) => [e.code, e.re])).toEqual([
      ['unavailable', 'offer'],
      ['unknown_peer', undefined],
    ]);
  });

  it('matches a join error to the join of that room', async () => {
    const five = client.joinRoom(5);
    const six = client.joinRoom(6);
    socket.reply({ type: 'error', code: 'room_full', message: 'room full', re: 'join_room', room_id: 6 });
    socket.reply({ type: 'room_joined', room_id: 5, peers: [] });
    await expect(five).resolves.toEqual([]);
    await expect(six).rejects.toMatchObject({ code: 'room_full', roomId: 6 });
    expect(client.rooms).toEqual(new Set([5]));
  });

  it('rejects a request the server never answers after timeoutMs, and a late answer changes nothing', async () => {
    jest.useFakeTimers();
    const joined = client.joinRoom(5);
    const outcome = joined.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    jest.advanceTimersByTime(999);
    await Promise.resolve();
    const early = await Promise.race([outcome, Promise.resolve('pending')]);
    expect(early).toBe('pending');
    jest.advanceTimersByTime(1);
    expect(await outcome).toBe('no reply to join_room within 1000 ms');
    const pinged = client.ping();
    socket.reply({ type: 'room_joined', room_id: 5, peers: [] }); // too late: nobody waits for it
    socket.reply({ type: 'pong', timestamp: 1 });
    await expect(pinged).resolves.toBeUndefined();
  });
});

describe('SignalingClient transports', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  /** WebSocket upgrades that close before they open, as a refused one does; streams answered with `status`. */
  function refusedUpgrades(status: number): { upgrades: string[]; streams: Array<{ url: string; headers: Record<string, string> }> } {
    const seen = { upgrades: [] as string[], streams: [] as Array<{ url: string; headers: Record<string, string> }> };
    setRuntime({
      createWebSocket: (url) => {
        seen.upgrades.push(url);
        const ws = new FakeSocket();
        ws.readyState = 0;
        setTimeout(() => ws.close(1006), 0);
        return ws;
      },
      createPeerConnection: () => {
        throw new Error('not used');
      },
      channelBytes: (b) => b,
    });
    globalThis.fetch = (async (url: string, init: { headers: Record<string, string> }) => {
      seen.streams.push({ url: String(url), headers: init.headers });
      return new Response('{"error":"refused"}', { status });
    }) as unknown as typeof fetch;
    return seen;
  }

  it('falls back to the SSE stream of the same path, the credential as a header, when the upgrade never opens', async () => {
    const seen = refusedUpgrades(503);
    const err = await SignalingClient.connect('ws://h/signaling', { token: 'jwt' }, { reconnect: false }).catch((e: Error) => e);
    expect(seen.upgrades).toEqual(['ws://h/signaling?token=jwt']);
    expect(seen.streams).toEqual([{ url: 'http://h/sse/signaling', headers: { Accept: 'text/event-stream', Authorization: 'Bearer jwt' } }]);
    expect((err as Error).message).toMatch(/closed before welcome \(1006 HTTP 503\)/);
  });

  it("with transports: ['websocket'] never opens a stream", async () => {
    const seen = refusedUpgrades(503);
    await expect(SignalingClient.connect('ws://h/signaling', { apiKey: 'k' }, { transports: ['websocket'] })).rejects.toThrow(/closed before welcome \(1006/);
    expect(seen.upgrades).toEqual(['ws://h/signaling?api_key=k']);
    expect(seen.streams).toEqual([]);
  });

  it('refuses an unknown transport', async () => {
    await expect(SignalingClient.connect('ws://h/signaling', { apiKey: 'k' }, { transports: ['polling' as never] })).rejects.toThrow('"polling"');
  });
});
