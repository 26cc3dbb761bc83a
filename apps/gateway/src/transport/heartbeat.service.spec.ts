import { loadConfig } from '@switchboard/config';
import type { Connection } from './connection';
import type { ConnectionRegistry } from './connection-registry';
import type { HandshakeService } from './handshake.service';
import { HeartbeatService, PING_SLICE_MS } from './heartbeat.service';

function fakeConn(lastSeen: number, connectedAt = lastSeen - 60_000) {
  const c = { lastSeen, connectedAt, pinged: true, open: true, pings: 0, terminated: false, ping: (): void => void c.pings++, terminate: () => void (c.terminated = true) };
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
    for (let now = t0; now < t0 + 1000; now += PING_SLICE_MS) {
      const before = conns.reduce((n, c) => n + c.pings, 0);
      hb.pingSlice(now);
      perSlice.push(conns.reduce((n, c) => n + c.pings, 0) - before);
    }
    // 1 s period in slices of PING_SLICE_MS: 96 connections spread evenly, every live one pinged once.
    const slices = 1000 / PING_SLICE_MS;
    expect(perSlice).toHaveLength(slices);
    expect(Math.max(...perSlice)).toBeLessThanOrEqual(Math.ceil(96 / slices));
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

  it('keeps a filling replica healthy: every arrival is pinged in time, no live one is taken for silent, a dead one goes', () => {
    // Connections arrive for 14 s (1,280 per second); live ones answer every ping at once.
    const conns: ReturnType<typeof fakeConn>[] = [];
    const registry: ConnectionRegistry = { get size() { return conns.length; }, all: () => conns as unknown as Connection[] };
    const hb = new HeartbeatService(config, registry, handshake); // ping period 1 s, pong wait 3 s
    const t0 = 1_000_000;
    let dead: ReturnType<typeof fakeConn> | undefined;
    let clock = t0;
    for (let now = t0; now <= t0 + 30_000; now += PING_SLICE_MS) {
      clock = now;
      if (now < t0 + 14_000) {
        for (let i = 0; i < (1280 * PING_SLICE_MS) / 1000; i++) {
          const c = fakeConn(now, now);
          c.pinged = false;
          c.ping = () => {
            c.pings++;
            if (c !== dead) c.lastSeen = clock;
          };
          conns.push(c);
        }
        if (now === t0 + 5_000) dead = conns[conns.length - 1];
      }
      hb.pingSlice(now);
    }
    const live = conns.filter((c) => c !== dead);
    expect(live.filter((c) => c.terminated)).toHaveLength(0);
    expect(live.every((c) => c.pings >= 10)).toBe(true);
    expect(dead!.terminated).toBe(true);
  });

  it('terminates a client that died as it connected within PONG_WAIT + PING_PERIOD, also when two periods exceed PONG_WAIT', () => {
    // Rounds alone would ping it up to two periods after it connected and end it a period later (3 s here).
    const cfg = loadConfig({ WEBSOCKET_PING_PERIOD: '1s', WEBSOCKET_PONG_WAIT: '1500ms' });
    const conns: ReturnType<typeof fakeConn>[] = [];
    const registry: ConnectionRegistry = { get size() { return conns.length; }, all: () => conns as unknown as Connection[] };
    const hb = new HeartbeatService(cfg, registry, handshake);
    const t0 = 1_000_000;
    let killedAt: number | undefined;
    let dead: ReturnType<typeof fakeConn> | undefined;
    let live: ReturnType<typeof fakeConn> | undefined;
    // Others connected earlier and answer at once: the newcomers come last in the next round.
    for (let i = 0; i < 60; i++) {
      const c = fakeConn(t0, t0);
      c.ping = () => void (c.lastSeen = clock);
      conns.push(c);
    }
    let clock = t0;
    for (let now = t0; now <= t0 + 6000 && killedAt === undefined; now += PING_SLICE_MS) {
      clock = now;
      if (now === t0 + PING_SLICE_MS) {
        // Just after a round began: first seen by the next round. One never answers, one answers every ping.
        dead = fakeConn(now, now);
        live = fakeConn(now, now);
        const answering = live;
        answering.ping = () => {
          answering.pings++;
          answering.lastSeen = clock;
        };
        for (const c of [dead, live]) {
          c.pinged = false;
          conns.push(c);
          hb.welcome(c as unknown as Connection);
        }
      }
      hb.pingSlice(now);
      if (dead?.terminated) killedAt = now;
    }
    expect(killedAt).toBeDefined();
    expect(killedAt! - (t0 + PING_SLICE_MS)).toBeLessThanOrEqual(1500 + 1000 + PING_SLICE_MS);
    expect(live!.terminated).toBe(false);
  });
});
