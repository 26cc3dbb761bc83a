import { once } from 'node:events';
import { type AppProcess, rssBytes, sleep, startAppProcess, TestClient } from '@switchboard/testing';
import { startTestGateway } from './support/gateway';
import WebSocket from 'ws';

describe('bad input and limits', () => {
  describe('on one gateway', () => {
    let gw: Awaited<ReturnType<typeof startTestGateway>>;
    beforeAll(async () => {
      gw = await startTestGateway({ WEBSOCKET_MESSAGE_RATE: '20', WEBSOCKET_MESSAGE_BURST: '20', WEBSOCKET_RATE_LIMIT_STRIKES: '10' });
    });
    afterAll(async () => {
      await gw.app.close();
    });

    it('answers every malformed frame with an error and keeps the connection usable', async () => {
      const c = await TestClient.connect(`${gw.url}/ws?user_id=sloppy`);
      const cases: Array<[unknown, string, RegExp]> = [
        ['{not json', 'bad_json', /malformed JSON/],
        ['[1,2,3]', 'bad_json', /JSON object/],
        ['"just a string"', 'bad_json', /JSON object/],
        [{ room: 'r' }, 'unknown_type', /missing "type"/],
        [{ type: 'teleport' }, 'unknown_type', /unknown message type "teleport"/],
        [{ type: 'join' }, 'bad_field', /"join" needs "room"/],
        [{ type: 'join', room: 'has space' }, 'bad_field', /invalid room name/],
        [{ type: 'join', room: 'x'.repeat(129) }, 'bad_field', /invalid room name/],
        [{ type: 'join_room' }, 'bad_field', /"join_room" needs "room"/],
        [{ type: 'message', room: 'r' }, 'bad_field', /"message" needs "content"/],
        [{ type: 'message', room: 'r', content: 5 }, 'bad_field', /"message" needs "content"/],
        [{ type: 'room_message', data: 'hi' }, 'bad_field', /"room_message" needs "data"/],
        [{ type: 'room_message', data: { room: 'r' } }, 'bad_field', /"data.message"/],
        [{ type: 'private_message', content: 'x' }, 'bad_field', /"user_id"/],
        [{ type: 'private_message', user_id: 'u' }, 'bad_field', /"content"/],
        [{ type: 'broadcast' }, 'bad_field', /"broadcast" needs "data"/],
        [{ type: 'leave', room: 'never-joined' }, 'not_in_room', /not in room/],
      ];
      for (const [frame, code, text] of cases) {
        c.send(frame);
        const err = await c.next('error');
        expect({ frame, code: (err.data as { code: string }).code }).toEqual({ frame, code });
        expect(err.content).toMatch(text);
        expect(await c.ask({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
        await sleep(60); // stay under the message rate limit
      }
      c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      expect(await c.next('error')).toMatchObject({ data: { code: 'binary_unsupported' } });
      expect(c.closeCode).toBeUndefined();
      await c.close();
    });

    it('closes with 1009 a frame larger than WEBSOCKET_MAX_MESSAGE_SIZE', async () => {
      const c = await TestClient.connect(`${gw.url}/ws?user_id=big`);
      c.send({ type: 'message', room: 'r', content: 'x'.repeat(600) });
      expect(await c.closed).toBe(1009);
    });

    it('drops frames over the rate limit with one error, then closes 1008 when the flood goes on', async () => {
      const c = await TestClient.connect(`${gw.url}/ws?user_id=flood`);
      for (let i = 0; i < 100; i++) c.send({ type: 'ping' });
      expect(await c.closed).toBe(1008);
      const errors = c.frames.filter((f) => f.type === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ data: { code: 'rate_limited' } });
      expect(c.frames.filter((f) => f.type === 'pong')).toHaveLength(20);
    });

    it('lets a client that slows down after a rate-limit error carry on', async () => {
      const c = await TestClient.connect(`${gw.url}/ws?user_id=burst`);
      for (let i = 0; i < 25; i++) c.send({ type: 'ping' });
      await c.next('error');
      await sleep(300);
      expect(await c.ask({ type: 'ping' }, 'pong')).toBeDefined();
      expect(c.closeCode).toBeUndefined();
      await c.close();
    });
  });

  it('terminates a client that stops answering pings within PONG_WAIT + PING_PERIOD, and keeps a live one', async () => {
    const gw = await startTestGateway({ WEBSOCKET_PING_PERIOD: '200ms', WEBSOCKET_PONG_WAIT: '500ms' });
    try {
      const dead = new WebSocket(`${gw.url}/ws?user_id=dead`, { autoPong: false });
      await once(dead, 'open');
      const opened = Date.now();
      const live = await TestClient.connect(`${gw.url}/ws?user_id=live`);
      const [code] = (await once(dead, 'close')) as [number];
      const elapsed = Date.now() - opened;
      expect(code).toBe(1006);
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(elapsed).toBeLessThanOrEqual(700 + 150);
      await sleep(800);
      expect(live.closeCode).toBeUndefined();
      expect(await live.ask({ type: 'ping' }, 'pong')).toBeDefined();
      await live.close();
      const metrics = await (await fetch(`${gw.http}/metrics`)).text();
      expect(metrics).toMatch(/switchboard_disconnects_total\{reason="timeout",transport="websocket"\} 1/);
    } finally {
      await gw.app.close();
    }
  });

  it('loses and reorders nothing when replica-wide flow control pauses reading under a burst', async () => {
    const gw = await startTestGateway({
      WEBSOCKET_MAX_QUEUED_BYTES: String(64 * 1024),
      WEBSOCKET_MAX_MESSAGE_SIZE: '4096',
      WEBSOCKET_MESSAGE_RATE: '100000',
      WEBSOCKET_MESSAGE_BURST: '100000',
      WEBSOCKET_CONNECT_BURST: '1000',
    });
    try {
      const members = await Promise.all(Array.from({ length: 40 }, (_, i) => TestClient.connect(`${gw.url}/ws/burst?user_id=m${i}`)));
      for (const m of members) await m.next('user_list');
      const flow = gw.app.get((await import('../src/transport/flow-control')).FlowControl);
      let paused = false;
      const probe = setInterval(() => (paused ||= flow.isPaused), 1);
      const body = 'z'.repeat(1000);
      for (let i = 0; i < 400; i++) members[0].send({ type: 'message', room: 'burst', content: `${i}:${body}` });
      for (const m of members) {
        for (let i = 0; i < 400; i++) expect(((await m.next('message', 15000)).content as string).split(':')[0]).toBe(String(i));
      }
      clearInterval(probe);
      // 40 members × 400 KB went out through a 64 KB replica-wide queue.
      expect(paused).toBe(true);
      expect(flow.isPaused).toBe(false);
      await Promise.all(members.map((m) => m.close()));
    } finally {
      await gw.app.close();
    }
  }, 60000);

  it('closes with 1013 a client whose unsent data has not drained within WEBSOCKET_WRITE_WAIT', async () => {
    // A bytes bound too high to matter (16 MiB × 1024): only the time bound can act.
    const gw = await startTestGateway({
      WEBSOCKET_WRITE_WAIT: '1s',
      WEBSOCKET_WRITE_BUFFER_SIZE: String(16 * 1024 * 1024),
      WEBSOCKET_MAX_MESSAGE_SIZE: '65536',
      WEBSOCKET_MESSAGE_RATE: '100000',
      WEBSOCKET_MESSAGE_BURST: '100000',
    });
    try {
      const stalled = await TestClient.connect(`${gw.url}/ws/wait?user_id=stalled`);
      await stalled.next('user_list');
      const sender = await TestClient.connect(`${gw.url}/ws/wait?user_id=sender`);
      await sender.next('user_list');
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const chunk = 'w'.repeat(32 * 1024);
      for (let i = 0; i < 256; i++) sender.send({ type: 'message', room: 'wait', content: chunk }); // 8 MiB
      const started = Date.now();
      const deadline = started + 10000;
      let text = '';
      while (!/reason="slow_consumer"/.test(text) && Date.now() < deadline) {
        await sleep(100);
        // The close is counted once the close handshake finishes: let the client read again after the shed.
        if (Date.now() - started > 2500) (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
        text = await (await fetch(`${gw.http}/metrics`)).text();
      }
      (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await stalled.closed).toBe(1013);
      expect(stalled.closeReason).toBe('slow consumer');
      expect(sender.closeCode).toBeUndefined();
      await sender.close();
    } finally {
      await gw.app.close();
    }
  }, 30000);

  describe('slow consumer (gateway in its own process)', () => {
    let gwp: AppProcess;
    beforeAll(async () => {
      gwp = await startAppProcess('gateway', {
        JWT_SECRET: 'slow-consumer-secret-0123456789',
        // This measures the per-client bound; the room history would keep its own 100 × 32 KB on top, by design.
        WEBSOCKET_HISTORY_SIZE: '0',
        WEBSOCKET_MAX_MESSAGE_SIZE: '65536',
        WEBSOCKET_MESSAGE_RATE: '100000',
        WEBSOCKET_MESSAGE_BURST: '100000',
      });
    });
    afterAll(async () => {
      await gwp.stop();
    });

    it('closes a client that stops reading with 1013 and keeps server memory flat', async () => {
      const stalled = await TestClient.connect(`${gwp.url}/ws/firehose?user_id=stalled`);
      await stalled.next('user_list');
      const sender = await TestClient.connect(`${gwp.url}/ws/firehose?user_id=sender`);
      await sender.next('user_list');
      // The stalled client stops reading from its socket: the server's writes back up.
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

      const rssBefore = rssBytes(gwp.pid);
      let peak = rssBefore;
      const chunk = 'y'.repeat(32 * 1024);
      const total = 128 * 1024 * 1024; // 128 MiB through the room; the stalled client may hold 1 MiB
      let sent = 0;
      let echoed = 0;
      sender.ws.on('message', () => echoed++);
      for (let i = 0; sent < total; i++) {
        sender.send({ type: 'message', room: 'firehose', content: chunk });
        sent += chunk.length;
        if (i % 16 === 15) {
          // Pace on the sender's own echoes so the sender is never the slow one.
          const deadline = Date.now() + 10000;
          while (echoed < i - 32 && Date.now() < deadline) await sleep(1);
          expect(sender.closeCode).toBeUndefined();
          peak = Math.max(peak, rssBytes(gwp.pid));
        }
      }
      const deadline = Date.now() + 10000;
      while (echoed < total / chunk.length && Date.now() < deadline) await sleep(5);
      expect(echoed).toBe(total / chunk.length);
      peak = Math.max(peak, rssBytes(gwp.pid));

      // Without the bound the server would hold all 128 MiB for the stalled client.
      expect(peak - rssBefore).toBeLessThan(64 * 1024 * 1024);

      // Once the client reads again it finds the close frame, code 1013, behind what it had.
      (stalled.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await stalled.closed).toBe(1013);
      expect(stalled.frames.length).toBeLessThan(total / chunk.length / 4);
      await sleep(100);
      const metrics = await (await fetch(`${gwp.http}/metrics`)).text();
      expect(metrics).toMatch(/switchboard_disconnects_total\{reason="slow_consumer",transport="websocket"\} 1/);
      await sender.close();
    }, 60000);
  });
});
