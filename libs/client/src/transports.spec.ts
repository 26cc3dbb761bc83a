import { EventStreamParser } from './sse-socket';
import { Transports } from './transports';

describe('Transports', () => {
  it('moves on to the next transport after an attempt that never opened, wraps to the first (and says so), and starts over after an open one', () => {
    const t = new Transports();
    expect(t.current).toBe('websocket');
    expect(t.ended(false)).toBe(false);
    expect(t.current).toBe('sse');
    expect(t.ended(false)).toBe(true); // both failed here: the next URL, from the WebSocket
    expect(t.current).toBe('websocket');
    t.ended(false);
    expect(t.ended(true)).toBe(true); // the SSE session ended after it opened: the WebSocket is tried again
    expect(t.current).toBe('websocket');
  });

  it('refuses an empty or unknown list', () => {
    expect(() => new Transports([])).toThrow('transports');
    expect(() => new Transports(['polling' as never])).toThrow('"polling"');
  });
});

describe('EventStreamParser', () => {
  it('splits events across chunks and line endings, names them, joins data lines, and skips comments and ids', () => {
    const events: Array<[string, string]> = [];
    const parser = new EventStreamParser((name, data) => events.push([name, data]));
    parser.push('retry: 1000\nevent: session\ndata: {"session_id":"s"}\n\nid: 1,a~b\nda');
    parser.push('ta: {"type":"pong"}\r');
    parser.push('\n\r\n:\n\nevent: ping\ndata: {}\n\ndata: a\ndata:b\n\nid: 2\n\n');
    expect(events).toEqual([
      ['session', '{"session_id":"s"}'],
      ['message', '{"type":"pong"}'],
      ['ping', '{}'],
      ['message', 'a\nb'],
    ]);
  });
});
