import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Frame, FrameLog } from './frame-log';

export interface SseOpenOptions {
  headers?: Record<string, string>;
  /** Sent as `Last-Event-ID`, as EventSource does when it reconnects. */
  lastEventId?: string;
  /** A CA to trust for https:// (a test's self-signed certificate). */
  ca?: Buffer;
  /** Answer every `ping` event with an empty POST, as a live client must. */
  answerPings?: boolean;
  /** How long to wait for the `session` event. */
  timeoutMs?: number;
  /** The local address to connect from (another loopback address is another client IP). */
  localAddress?: string;
}

/** A refused stream: the HTTP status and body the server answered with. */
export class SseRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body}`);
  }
}

/**
 * A real SSE client for tests, reading the stream the way EventSource does (docs/protocol/sse.md):
 * every unnamed event's data is a frame (recorded as TestClient records WebSocket frames); the
 * `session` event names where to POST; the newest `id:` is kept as EventSource keeps it, to
 * send as `Last-Event-ID` on a reconnect; `close` ends it with a code. POSTs go to the stream's
 * origin unless told another (any replica takes them).
 */
export class SseTestClient extends FrameLog {
  sessionId = '';
  sessionToken = '';
  /** The newest event id the stream carried, as EventSource would send it on reconnect. */
  lastEventId: string | undefined;
  /** Every event id, in order. */
  readonly ids: string[] = [];
  pings = 0;
  /** Resolves with the close code once the stream has ended (1006 when it ended without a `close` event). */
  readonly closed: Promise<number>;
  private endedWith?: (code: number) => void;
  private req?: ClientRequest;
  private opened?: () => void;

  private constructor(
    readonly url: string,
    private readonly options: SseOpenOptions,
  ) {
    super();
    this.lastEventId = options.lastEventId;
    this.closed = new Promise((resolve) => (this.endedWith = resolve));
  }

  /** Opens a stream and resolves once its `session` event arrived; rejects with SseRefused when the server answers otherwise. */
  static open(url: string, options: SseOpenOptions = {}): Promise<SseTestClient> {
    const client = new SseTestClient(url, options);
    return client.start();
  }

  /** Where POSTs go by default: the stream's origin. */
  get origin(): string {
    return new URL(this.url).origin;
  }

  /** POSTs `body` (a frame, an array of frames, or raw text) to a session (this one unless told), at `origin` (this stream's unless told). */
  async post(body: unknown, to: { origin?: string; session?: string; token?: string } = {}): Promise<{ status: number; json: any }> {
    const url = `${to.origin ?? this.origin}/sse/session/${to.session ?? this.sessionId}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Session-Token': to.token ?? this.sessionToken },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  }

  /** Sends frames up and requires them taken (202). */
  async send(frames: unknown, origin?: string): Promise<void> {
    const { status, json } = await this.post(frames, { origin });
    if (status !== 202) throw new Error(`uplink answered ${status}: ${JSON.stringify(json)}`);
  }

  /** Sends a frame and waits for the reply frame of a type. */
  async ask(frame: unknown, replyType: string): Promise<Frame> {
    await this.send(frame);
    return this.next(replyType);
  }

  /** Opens the stream again from where this one stands, as EventSource reconnects (with `Last-Event-ID`), at `url` (the same unless told). */
  reopen(url = this.url, options: SseOpenOptions = {}): Promise<SseTestClient> {
    return SseTestClient.open(url, { ...this.options, ...options, lastEventId: this.lastEventId });
  }

  /** Closes the stream from the client's side. */
  close(): Promise<number> {
    this.req?.destroy();
    return this.closed;
  }

  private start(): Promise<SseTestClient> {
    const url = new URL(this.url);
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...this.options.headers };
    if (this.lastEventId !== undefined) headers['Last-Event-ID'] = this.lastEventId;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.req?.destroy();
        reject(new Error(`${this.url}: no session event within ${this.options.timeoutMs ?? 5000} ms`));
      }, this.options.timeoutMs ?? 5000);
      this.opened = () => {
        clearTimeout(timer);
        resolve(this);
      };
      const req = request(url, { headers, ca: this.options.ca, agent: false, localAddress: this.options.localAddress }, (res) => this.read(res, (err) => (clearTimeout(timer), reject(err))));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
        this.finish(1006);
      });
      req.end();
      this.req = req;
    });
  }

  private read(res: IncomingMessage, refused: (err: Error) => void): void {
    if (res.statusCode !== 200) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => refused(new SseRefused(res.statusCode ?? 0, body)));
      return;
    }
    let buffer = '';
    let event = { type: '', data: '', id: undefined as string | undefined };
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line === '') {
          this.dispatch(event);
          event = { type: '', data: '', id: undefined };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
        if (field === 'event') event.type = value;
        else if (field === 'data') event.data += `${value}\n`;
        else if (field === 'id') event.id = value;
      }
    });
    res.on('close', () => this.finish(this.closeCode ?? 1006));
  }

  private dispatch(event: { type: string; data: string; id: string | undefined }): void {
    if (event.id !== undefined) {
      this.lastEventId = event.id;
      this.ids.push(event.id);
    }
    if (event.data === '') return;
    const data = JSON.parse(event.data.slice(0, -1)) as Record<string, unknown>;
    if (event.type === '' || event.type === 'message') this.received(data as Frame);
    else if (event.type === 'session') {
      this.sessionId = data.session_id as string;
      this.sessionToken = data.session_token as string;
      this.opened?.();
    } else if (event.type === 'ping') {
      this.pings++;
      if (this.options.answerPings) void this.post([]).catch(() => undefined);
    } else if (event.type === 'close') {
      this.closeCode = data.code as number;
      this.closeReason = data.reason as string;
    }
  }

  private finish(code: number): void {
    if (this.endedWith === undefined) return;
    this.ended(code, this.closeReason);
    this.endedWith(code);
    this.endedWith = undefined;
  }
}
