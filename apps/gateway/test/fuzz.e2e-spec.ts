import { type AppProcess, rssBytes, signToken, sleep, startAppProcess, TEST_SECRET, TestClient } from '@switchboard/testing';
import { channelsCodec, type Codec, roomsChatCodec, signalingCodec } from '@switchboard/protocol';
import { CHANNELS_TYPES, ROOMS_TYPES, sampleFrames, SIGNALING_TYPES } from '@switchboard/protocol/testing';

const FRAMES = 10_000;
const BATCH = 250;
const MB = 1024 * 1024;

/** Frame types a dialect may send; anything else is not a valid reply. */
const ROOMS_OUT = new Set(['user_list', 'error', 'message', 'room_message', 'join', 'leave', 'notification', 'private_message', 'pong']);
const CHANNELS_OUT = new Set(['channel_joined', 'channel_left', 'error', 'message', 'pong', 'notification', 'private_message']);
const SIGNALING_OUT = new Set(['welcome', 'room_created', 'room_joined', 'peer_joined', 'peer_left', 'offer', 'answer', 'ice_candidate', 'pong', 'error']);

/**
 * Live fuzzing: a real gateway process gets 10,000 generated and mutated frames per dialect
 * (each followed by a sentinel so every frame's answer can be waited for). Every answer is a
 * valid frame, every invalid frame gets its `error`, the connection stays open, the process
 * neither crashes nor logs an unhandled rejection, and its memory comes back.
 */
describe('fuzzing a running gateway', () => {
  let gw: AppProcess;

  beforeAll(async () => {
    gw = await startAppProcess('gateway', {
      JWT_SECRET: TEST_SECRET,
      WEBSOCKET_MAX_MESSAGE_SIZE: '65536',
      WEBSOCKET_MESSAGE_RATE: '1000000',
      WEBSOCKET_MESSAGE_BURST: '1000000',
      // And no cap on the bytes its requests make the server send: the fuzzer asks as fast as it can.
      WEBSOCKET_REPLY_RATE: '0',
      WEBSOCKET_CONNECT_BURST: '1000',
    });
  }, 30_000);
  afterAll(async () => {
    await gw?.stop('SIGKILL');
  });

  /** Sends every frame with a sentinel after it, a batch at a time; returns how many errors the codec predicts. */
  async function hammer(client: TestClient, codec: Codec, frames: string[], sentinel: (i: number) => string, answered: (i: number) => Promise<void>): Promise<number> {
    let invalid = 0;
    for (let start = 0; start < frames.length; start += BATCH) {
      const end = Math.min(frames.length, start + BATCH);
      for (let i = start; i < end; i++) {
        client.send(frames[i]);
        client.send(sentinel(i));
        if (codec.read(frames[i]).command.kind === 'invalid') invalid++;
      }
      await answered(end - 1);
    }
    return invalid;
  }

  /**
   * For dialects with no reply that names its request: a ping after every frame, and the
   * pongs counted (the sentinels' and the fuzzed pings').
   */
  async function hammerWithPings(client: TestClient, codec: Codec, frames: string[]): Promise<number> {
    let expected = 0;
    const pingAfter = (i: number) => {
      expected += codec.read(frames[i]).command.kind === 'ping' ? 2 : 1;
      return '{"type":"ping"}';
    };
    return hammer(client, codec, frames, pingAfter, async () => {
      const deadline = Date.now() + 15_000;
      while (client.frames.filter((f) => f.type === 'pong').length < expected) {
        if (Date.now() > deadline || client.closeCode !== undefined) throw new Error(`pongs: ${client.frames.filter((f) => f.type === 'pong').length} of ${expected}`);
        await sleep(10);
      }
    });
  }

  function checkAnswers(client: TestClient, allowed: Set<string>, invalid: number): void {
    const unknown = client.frames.filter((f) => !allowed.has(f.type));
    expect(unknown.slice(0, 3)).toEqual([]);
    const errors = client.frames.filter((f) => f.type === 'error');
    // Every invalid frame got its error (valid ones may get errors too: forbidden, not in room, too many rooms).
    expect(errors.length).toBeGreaterThanOrEqual(invalid);
    expect(client.closeCode).toBeUndefined();
  }

  it('answers every frame of every dialect validly, stays up, and gives its memory back', async () => {
    const warm = await TestClient.connect(`${gw.url}/ws?user_id=warmup`);
    await hammer(warm, roomsChatCodec, sampleFrames(ROOMS_TYPES, 1000, 1), (i) => `{"type":"user_list","room":"w-${i}"}`, async (i) => void (await warm.next((f) => f.room === `w-${i}`, 15_000)));
    await warm.close();
    await sleep(1000);
    const baseline = rssBytes(gw.pid);

    const rooms = await TestClient.connect(`${gw.url}/ws?user_id=fuzzer`);
    const roomsFrames = sampleFrames(ROOMS_TYPES, FRAMES, 42).filter((f) => Buffer.byteLength(f) < 60_000);
    expect(roomsFrames.length).toBeGreaterThan(FRAMES * 0.99);
    const roomsInvalid = await hammer(rooms, roomsChatCodec, roomsFrames, (i) => `{"type":"user_list","room":"s-${i}"}`, async (i) => {
      await rooms.next((f) => f.type === 'user_list' && f.room === `s-${i}`, 15_000);
    });
    rooms.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await rooms.next((f) => f.type === 'error' && (f.data as { code?: string }).code === 'binary_unsupported')).toBeTruthy();
    checkAnswers(rooms, ROOMS_OUT, roomsInvalid);

    const token = signToken({ sub: 'fuzz', username: 'fuzz', email: 'fuzz@example.com' });
    const channels = await TestClient.connect(`${gw.url}/api/v1/ws?token=${token}`);
    const channelsFrames = sampleFrames(CHANNELS_TYPES, FRAMES, 43).filter((f) => Buffer.byteLength(f) < 60_000);
    const channelsInvalid = await hammerWithPings(channels, channelsCodec, channelsFrames);
    checkAnswers(channels, CHANNELS_OUT, channelsInvalid);

    const signaling = await TestClient.connect(`${gw.url}/signaling?token=${token}`);
    await signaling.next('welcome');
    const signalingFrames = sampleFrames(SIGNALING_TYPES, FRAMES, 44).filter((f) => Buffer.byteLength(f) < 60_000);
    const signalingInvalid = await hammerWithPings(signaling, signalingCodec, signalingFrames);
    checkAnswers(signaling, SIGNALING_OUT, signalingInvalid);

    await Promise.all([rooms.close(), channels.close(), signaling.close()]);
    expect(gw.proc.exitCode).toBeNull();
    expect(gw.logs.filter((l) => /unhandled|uncaught/i.test(l))).toEqual([]);
    expect((await fetch(`${gw.http}/health/ready`)).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (rssBytes(gw.pid) > baseline + 50 * MB && Date.now() < deadline) await sleep(200);
    expect(rssBytes(gw.pid) / MB).toBeLessThan((baseline + 50 * MB) / MB);
  }, 120_000);
});
