import { startAppProcess, TestClient, until, upgradeStatus } from '@switchboard/testing';

describe('graceful stop (SIGTERM)', () => {
  it('goes unready at once, refuses new clients, closes the others with 1012 over the drain window, exits 0', async () => {
    const gw = await startAppProcess('gateway', { WEBSOCKET_DRAIN_TIMEOUT: '1s' });
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => TestClient.connect(`${gw.url}/ws/drain?user_id=c${i}`)));
    const closedAt: number[] = [];
    for (const c of clients) void c.closed.then(() => closedAt.push(Date.now()));
    expect((await fetch(`${gw.http}/health/ready`)).status).toBe(200);

    gw.proc.kill('SIGTERM');
    await until('the SIGTERMed gateway to answer readiness with 503', 5000, async () => (await fetch(`${gw.http}/health/ready`)).status === 503);
    expect((await upgradeStatus(`${gw.url}/ws`)).status).toBe(503);

    expect(await gw.exited).toBe(0);
    expect(clients.map((c) => c.closeCode)).toEqual(Array(10).fill(1012));
    closedAt.sort((a, b) => a - b);
    // Spread over the window, not all at once.
    expect(closedAt[closedAt.length - 1] - closedAt[0]).toBeGreaterThan(600);
    expect(gw.logs.some((l) => /SIGTERM: stopping/.test(l))).toBe(true);
  });
});
