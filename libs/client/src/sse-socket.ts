import type { WebSocketLike } from './types';

/* The few members of fetch, streams and EventSource used here, without DOM typings. */
interface FetchResponse {
  status: number;
  body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
  text(): Promise<string>;
}
type Fetch = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string; signal?: unknown }) => Promise<FetchResponse>;
interface EventSourceLike {
  onmessage: ((ev: { data: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  addEventListener(type: string, listener: (ev: { data: string }) => void): void;
  close(): void;
}
type EventSourceCtor = new (url: string) => EventSourceLike;

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** Splits a `text/event-stream` into events (name and data); `id:`, `retry:` and comments are left aside. */
export class EventStreamParser {
  private rest = '';
  private name = '';
  private data: string[] = [];

  constructor(private readonly dispatch: (event: string, data: string) => void) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const end = text.endsWith('\r') ? text.length - 1 : text.length; // a \r\n split between chunks is one line end
    const lines = text.slice(0, end).split(/\r\n|\r|\n/);
    this.rest = (lines.pop() ?? '') + text.slice(end);
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.dispatch(this.name || 'message', this.data.join('\n'));
      this.name = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'event') this.name = value;
    else if (field === 'data') this.data.push(value);
  }
}

/**
 * The SSE transport (docs/protocol/sse.md) behind the WebSocket's interface: frames come down a
 * `text/event-stream` and go up in POSTs to the session, one POST at a time (frames sent
 * meanwhile go together, in order). It is open once the stream's `session` event came; it
 * closes with the code of the server's `close` event, or 1006 when the stream or a POST failed
 * (the client then reconnects and resumes, as after a dropped WebSocket). The stream is read
 * with `fetch` when headers must go with it (a credential), with `EventSource` otherwise where
 * there is one. Nothing resumes by `Last-Event-ID`: each stream is a new session, and the client
 * joins its rooms again with their positions, as over a new WebSocket.
 */
export class SseSocket implements WebSocketLike {
  readyState = CONNECTING;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  private session: { url: string; token: string } | undefined;
  private queue: string[] = [];
  private posting = false;
  private pingDue = false;
  private ending: { code: number; reason: string } | undefined;
  private readonly abort = new AbortController();
  private source: EventSourceLike | undefined;
  private readonly fetch: Fetch;

  constructor(
    private readonly url: string,
    headers: Record<string, string>,
  ) {
    const fetchImpl = (globalThis as unknown as { fetch: Fetch }).fetch;
    this.fetch = fetchImpl.bind(globalThis); // a browser's fetch called on anything but the window throws "Illegal invocation"
    const EventSourceImpl = (globalThis as unknown as { EventSource?: EventSourceCtor }).EventSource;
    if (Object.keys(headers).length === 0 && EventSourceImpl) this.viaEventSource(EventSourceImpl);
    else void this.viaFetch(headers);
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('the SSE session is not open');
    this.queue.push(data);
    void this.pump();
  }

  close(code = 1000, reason = ''): void {
    this.finish(code, reason);
  }

  private viaEventSource(EventSourceImpl: EventSourceCtor): void {
    const source = new EventSourceImpl(this.url);
    this.source = source;
    for (const name of ['session', 'ping', 'close']) source.addEventListener(name, (ev) => this.event(name, ev.data));
    source.onmessage = (ev) => this.event('message', ev.data);
    // EventSource would reconnect by itself, as a new session the client knows nothing of: the client reconnects instead.
    source.onerror = () => this.finish(this.ending?.code ?? 1006, this.ending?.reason ?? 'the stream ended');
  }

  private async viaFetch(headers: Record<string, string>): Promise<void> {
    let res: FetchResponse;
    try {
      res = await this.fetch(this.url, { headers: { Accept: 'text/event-stream', ...headers }, signal: this.abort.signal });
    } catch (err) {
      this.onerror?.({ message: (err as Error)?.message });
      return this.finish(1006, 'the stream could not be opened');
    }
    if (res.status !== 200 || !res.body) {
      // Only the refused response's body is let go; the refusal itself is reported just below.
      void res.body?.getReader().cancel().catch(() => undefined);
      this.onerror?.({ message: `Unexpected server response: ${res.status}` }); // the form Node's `ws` uses for a refused upgrade
      return this.finish(1006, `HTTP ${res.status}`);
    }
    const parser = new EventStreamParser((name, data) => this.event(name, data));
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.readyState === CLOSED) break;
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted, or the connection was lost: said below
    }
    this.finish(this.ending?.code ?? 1006, this.ending?.reason ?? 'the stream ended');
  }

  private event(name: string, data: string): void {
    if (this.readyState === CLOSED) return;
    if (name === 'message') return this.onmessage?.({ data });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    if (name === 'session' && this.readyState === CONNECTING) {
      this.session = { url: new URL(`/sse/session/${String(body.session_id)}`, this.url).toString(), token: String(body.session_token) };
      this.readyState = OPEN;
      this.onopen?.({});
    } else if (name === 'ping') {
      this.pingDue = true; // answered with a POST, an empty one if nothing else is waiting
      void this.pump();
    } else if (name === 'close') {
      this.ending = { code: Number(body.code) || 1006, reason: String(body.reason ?? '') };
    }
  }

  /** Sends what is queued, one POST at a time; a POST that is not taken (any answer but 202) ends the session. */
  private async pump(): Promise<void> {
    if (this.posting || !this.session) return;
    this.posting = true;
    try {
      while (this.readyState === OPEN && (this.queue.length > 0 || this.pingDue)) {
        const batch = this.queue;
        this.queue = [];
        this.pingDue = false;
        const res = await this.fetch(this.session.url, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', 'X-Session-Token': this.session.token },
          body: `[${batch.join(',')}]`,
        });
        if (res.status !== 202) {
          const reason = await res.text().catch(() => '');
          return this.finish(1006, `the uplink was refused (HTTP ${res.status}) ${reason}`.trim());
        }
      }
    } catch (err) {
      this.finish(1006, `the uplink failed: ${(err as Error)?.message ?? String(err)}`);
    } finally {
      this.posting = false;
    }
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.abort.abort();
    this.source?.close();
    this.onclose?.({ code, reason });
  }
}
