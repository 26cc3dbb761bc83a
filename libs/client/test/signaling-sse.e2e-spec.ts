import { type Signal, SignalingClient } from '../src/node';
import { TestCluster, token, until } from './cluster';
import { UpgradeProxy } from './upgrade-proxy';

/** The `data` of the signals `from` sent, in the order they came. */
const dataFrom = (signals: Signal[], from: number) => signals.filter((s) => s.from === from).map((s) => s.data);

describe('SignalingClient over SSE, behind a proxy that refuses WebSocket upgrades and spreads requests over two replicas', () => {
  let cluster: TestCluster;
  let proxy: UpgradeProxy;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { WEBSOCKET_SIGNALING_RESUME_WINDOW: '10s' });
    proxy = await UpgradeProxy.start([cluster.gateways[0].url, cluster.gateways[2].url]);
    proxy.refuseUpgrades = true;
  }, 60000);
  afterAll(async () => {
    await proxy?.close();
    await cluster?.stop();
  });

  it('relays offers, answers and candidates to and from a WebSocket peer on another replica, and resumes (same id, same room) after its replica is drained', async () => {
    const sse = await SignalingClient.connect(`${proxy.url}/signaling`, { token: token('sia') }, { initialDelayMs: 50, maxDelayMs: 300 });
    const ws = await SignalingClient.connect(cluster.signaling(1), { token: token('wil') }, { transports: ['websocket'] });
    expect([sse.transport, ws.transport]).toEqual(['sse', 'websocket']);
    expect(proxy.upgradesRefused).toBeGreaterThan(0);
    const [sseId, wsId] = [sse.clientId, ws.clientId];
    const atSse: Signal[] = [];
    const atWs: Signal[] = [];
    const left: number[] = [];
    const resumed: number[] = [];
    const failed: number[] = [];
    sse.on('signal', (s) => atSse.push(s));
    ws.on('signal', (s) => atWs.push(s));
    ws.on('peer_left', ({ clientId }) => left.push(clientId));
    sse.on('resumed', ({ clientId }) => resumed.push(clientId));
    sse.on('failed', ({ clientId }) => failed.push(clientId));

    const room = await sse.createRoom();
    expect(await ws.joinRoom(room)).toEqual([sseId]);
    /** An offer and 10 candidates from the SSE peer, an answer and 10 candidates from the WebSocket peer; `total` signals from each so far. */
    const exchange = async (round: string, total: number) => {
      sse.signal('offer', wsId, { sdp: `${round} offer` });
      for (let i = 1; i <= 10; i++) sse.signal('ice_candidate', wsId, { candidate: `${round} s${i}` });
      ws.signal('answer', sseId, { sdp: `${round} answer` });
      for (let i = 1; i <= 10; i++) ws.signal('ice_candidate', sseId, { candidate: `${round} w${i}` });
      await until(`the ${round} signals on both sides`, 10_000, () => dataFrom(atWs, sseId).length >= total && dataFrom(atSse, wsId).length >= total);
    };
    const expected = (round: string, side: 's' | 'w') => [{ sdp: `${round} ${side === 's' ? 'offer' : 'answer'}` }, ...Array.from({ length: 10 }, (_, i) => ({ candidate: `${round} ${side}${i + 1}` }))];

    await exchange('before', 11);
    const holder = proxy.streamTargets[proxy.streamTargets.length - 1];
    expect(proxy.postTargets.some((t) => t !== holder)).toBe(true); // some POSTs went to the replica without the stream, and were forwarded
    await cluster.gateways.find((g) => g.url === holder)!.stop('SIGTERM');
    await until('the SSE peer resumed on the other replica', 20_000, () => resumed.length === 1);
    expect(proxy.streamTargets[proxy.streamTargets.length - 1]).not.toBe(holder);
    expect(sse.transport).toBe('sse');
    expect(sse.clientId).toBe(sseId);
    expect([...sse.rooms]).toEqual([room]);

    await exchange('after', 22);
    expect(dataFrom(atWs, sseId)).toEqual([...expected('before', 's'), ...expected('after', 's')]);
    expect(dataFrom(atSse, wsId)).toEqual([...expected('before', 'w'), ...expected('after', 'w')]);
    const round = ['offer', ...Array<string>(10).fill('ice_candidate')];
    expect(atWs.filter((s) => s.from === sseId).map((s) => s.type)).toEqual([...round, ...round]);
    expect([resumed, failed, left]).toEqual([[sseId], [], []]);
    sse.close();
    ws.close();
  }, 60000);
});
