import { KEEP_ALIVE_MS, KeepAlive } from './keep-alive';

describe('KeepAlive', () => {
  it('gives every open stream one comment per period, spread over it, and none to a stream gone', () => {
    const keepAlive = new KeepAlive();
    const got = new Map<number, number>();
    const streams = Array.from({ length: 1000 }, (_, i) => ({ comment: () => void got.set(i, (got.get(i) ?? 0) + 1) }));
    for (const s of streams) keepAlive.add(s);
    keepAlive.delete(streams[0]);
    keepAlive.close();
    const t0 = KEEP_ALIVE_MS;
    keepAlive.slice(t0);
    expect(got.size).toBeGreaterThan(0);
    expect(got.size).toBeLessThan(50);
    for (let t = t0; t < t0 + KEEP_ALIVE_MS; t += 50) keepAlive.slice(t);
    expect(got.size).toBe(999);
    expect(got.has(0)).toBe(false);
    expect(Math.max(...got.values())).toBe(1);
    keepAlive.slice(t0 + KEEP_ALIVE_MS);
    expect(Math.max(...got.values())).toBe(2);
  });
});
