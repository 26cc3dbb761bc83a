import { loadConfig } from '../../../../libs/config/src';
import type { Connection } from './connection';
import type { ConnectionRegistry } from './connection-registry';
import type { HandshakeService } from './handshake.service';
import { HeartbeatService } from './heartbeat.service';

function fakeConn(lastSeen: number) {
  const c = { lastSeen, open: true, pings: 0, terminated: false, ws: { ping: () => c.pings++ }, terminate: () => void (c.terminated = true) };
  return c;
}

describe('HeartbeatService', () => {
  const config = loadConfig({ WEBSOCKET_PING_PERIOD: '1s', WEBSOCKET_PONG_WAIT: '3s' });
  const handshake = { prune: () => undefined } as unknown as HandshakeService;

  it('visits every connection once per ping period, in slices, pinging the live and terminating the silent', () => {
    const t0 = 1_000_000;
    const conns = Array.from({ length: 95 }, () => fakeConn(t0));
    const dead = fakeConn(t0 - 5000);
    conns.push(dead);
    const registry: ConnectionRegistry = { size: conns.length, all: () => conns as unknown as Connection[] };
    const hb = new HeartbeatService(config, registry, handshake);

    const perSlice: number[] = [];
    for (let now = t0; now < t0 + 1000; now += 100) {
      const before = conns.reduce((n, c) => n + c.pings, 0);
      hb.pingSlice(now);
      perSlice.push(conns.reduce((n, c) => n + c.pings, 0) - before);
    }
    // 1 s period / 100 ms slices: 10 slices of at most 10 each, every live one pinged once.
    expect(Math.max(...perSlice)).toBeLessThanOrEqual(10);
    expect(conns.filter((c) => c !== dead).every((c) => c.pings === 1)).toBe(true);
    expect(dead.terminated).toBe(true);
    expect(dead.pings).toBe(0);
    // The next round starts one period after the first.
    hb.pingSlice(t0 + 1000);
    expect(conns.some((c) => c.pings === 2)).toBe(true);
  });

  it('starts again when the round ends, even with no connections', () => {
    const conns: ReturnType<typeof fakeConn>[] = [];
    const registry: ConnectionRegistry = { get size() { return conns.length; }, all: () => conns as unknown as Connection[] };
    const hb = new HeartbeatService(config, registry, handshake);
    hb.pingSlice(10_000);
    hb.pingSlice(10_100);
    conns.push(fakeConn(11_000));
    hb.pingSlice(11_000);
    expect(conns[0].pings).toBe(1);
  });
});
