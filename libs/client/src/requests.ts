import { SwitchboardError } from './errors';
import { codeOf, type ErrorFrame, reasonOf, type ServerFrame } from './frames';

/** What requests listen to: every frame, and every close of a connection. */
interface Frames {
  on(event: 'frame', handler: (frame: ServerFrame) => void): () => void;
  on(event: 'close', handler: (close: { code: number; reason: string }) => void): () => void;
}

/**
 * The chat client's requests and their answers: a join waits for its confirmation, or for
 * the error that names it (`re`, and its room), the close, or the timeout. A frame that
 * settled one request settles no other (`claimed`).
 */
export class Requests {
  private readonly claimed = new WeakSet<ServerFrame>();

  constructor(
    private readonly frames: Frames,
    private readonly send: (frame: Record<string, unknown>) => void,
    private readonly channels: boolean,
    private readonly timeoutMs: number,
    /** Milliseconds `frame` must wait to stay within the server's rate limit (a join counts more than one frame); 0: it goes now, its share taken. */
    private readonly pace: (frame: Record<string, unknown>) => number = () => 0,
  ) {}

  /** Whether a request took `frame` (a confirmation of this client's own join, an error it was rejected with). */
  took(frame: ServerFrame): boolean {
    return this.claimed.has(frame);
  }

  /** Joins `room` (with `fields`, e.g. `since`); settles on its confirmation. */
  join(room: string, fields: Record<string, unknown>): Promise<ServerFrame> {
    const frame = this.channels ? { type: 'join_channel', channel_id: room } : { type: 'join', room };
    const confirms = this.channels
      ? (f: ServerFrame) => f.type === 'channel_joined' && f.channel_id === room && !this.claimed.has(f)
      : (f: ServerFrame) => f.type === 'user_list' && f.room === room;
    return this.ask({ ...frame, ...fields }, room, confirms);
  }

  /** Sends `frame`; settles on its reply, an error naming it (`re`, and its room), the close, or the timeout. */
  private ask(frame: Record<string, unknown>, room: string, reply: (f: ServerFrame) => boolean): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err?: Error, f?: ServerFrame) => {
        settled = true;
        clearTimeout(timer);
        offFrame();
        offClose();
        if (err) reject(err);
        else resolve(f!);
      };
      const timer = setTimeout(() => done(new SwitchboardError('timeout', `no reply to ${String(frame.type)} within the timeout`, room)), this.timeoutMs);
      const offFrame = this.frames.on('frame', (f) => {
        if (reply(f)) {
          this.claimed.add(f);
          done(undefined, f);
        } else if (f.type === 'error' && this.answers(f, String(frame.type), room)) {
          this.claimed.add(f);
          done(new SwitchboardError(codeOf(f), reasonOf(f), room));
        }
      });
      const offClose = this.frames.on('close', ({ code }) => done(new SwitchboardError('closed', `connection closed (${code})`, room, code)));
      // A frame that must wait for the rate limit is not sent once its request is settled (closed, timed out).
      const go = (): void => {
        if (settled) return;
        const wait = this.pace(frame);
        if (wait > 0) return void setTimeout(go, wait);
        try {
          this.send(frame);
        } catch (err) {
          done(new SwitchboardError('closed', (err as Error).message, room)); // the connection went meanwhile
        }
      };
      go();
    });
  }

  /** Whether error frame `f` answers this client's `type` frame about `room` (and no earlier request took it). */
  private answers(f: ErrorFrame, type: string, room: string): boolean {
    if (f.re !== type || this.claimed.has(f) || f.id !== undefined) return false;
    const about = this.channels ? f.channel_id : f.room;
    return about === undefined || about === room;
  }
}
