import { startAppProcess, TestClient } from '@switchboard/testing';
import { startTestGateway } from './support/gateway';

describe('health, metrics and start-up', () => {
  it('serves /health/live, /health/ready and Prometheus /metrics that count what happened', async () => {
    const gw = await startTestGateway();
    try {
      const live = await fetch(`${gw.http}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`${gw.http}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { bus: { status: 'up' } } });

      const a = await TestClient.connect(`${gw.url}/ws/m1?user_id=a`);
      await a.next('user_list');
      a.send({ type: 'message', room: 'm1', content: 'x' });
      await a.next('message');
      a.send('{oops');
      await a.next('error');
      await fetch(`${gw.http}/nothing-here`);

      const res = await fetch(`${gw.http}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      expect(text).toMatch(/switchboard_connections\{dialect="rooms-chat",transport="websocket"\} 1/);
      expect(text).toMatch(/switchboard_frames_in_total\{type="say"\} 1/);
      expect(text).toMatch(/switchboard_frames_out_total\{type="message"\} 1/);
      expect(text).toMatch(/switchboard_errors_total\{kind="bad_json"\} 1/);
      expect(text).toMatch(/switchboard_rooms 1/);
      expect(text).toMatch(/nodejs_eventloop_lag_seconds/);
      await a.close();
    } finally {
      await gw.app.close();
    }
  });

  it('logs one line, at info, saying where it listens, and stops on a bad variable naming it', async () => {
    const gw = await startAppProcess('gateway', {});
    try {
      expect(gw.logs).toHaveLength(1);
      expect(JSON.parse(gw.logs[0])).toMatchObject({ level: 'info', msg: expect.stringMatching(new RegExp(`listening on http://127.0.0.1:${gw.port}`)) });
    } finally {
      await gw.stop();
    }
    await expect(startAppProcess('gateway', { WEBSOCKET_PING_PERIOD: 'often' })).rejects.toThrow(/exited with 2[\s\S]*WEBSOCKET_PING_PERIOD/);
  });
});
