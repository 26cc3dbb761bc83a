import { framesOf, MAX_FRAMES_PER_POST, sessionIdOf } from './uplink-body';

describe('uplink bodies', () => {
  it('take one frame as the client wrote it, or each frame of an array as compact JSON', () => {
    expect(framesOf('{ "type": "ping" }')).toEqual(['{ "type": "ping" }']);
    expect(framesOf('[{"type":"ping"}, {"type":"join", "room":"a"}]')).toEqual(['{"type":"ping"}', '{"type":"join","room":"a"}']);
    expect(framesOf('[]')).toEqual([]);
    // Not a frame: passed on, for the dialect to answer with an error event.
    expect(framesOf('[42, "x"]')).toEqual(['42', '"x"']);
  });

  it('refuse what is not a frame or an array of them, and too many frames', () => {
    expect(framesOf('{"type":')).toMatchObject({ status: 400 });
    expect(framesOf('"ping"')).toMatchObject({ status: 400 });
    expect(framesOf('null')).toMatchObject({ status: 400 });
    expect(framesOf(JSON.stringify(Array.from({ length: MAX_FRAMES_PER_POST + 1 }, () => ({ type: 'ping' }))))).toMatchObject({ status: 413 });
  });

  it('find the session id in the path', () => {
    expect(sessionIdOf('/sse/session/abcDEF_-0123456x', '/sse/session/')).toBe('abcDEF_-0123456x');
    expect(sessionIdOf('/sse/session/abc?x=1', '/sse/session/')).toBe('abc');
    expect(sessionIdOf('/sse/session/abc/more', '/sse/session/')).toBe('abc');
    expect(sessionIdOf('/sse/session/', '/sse/session/')).toBe('');
  });
});
