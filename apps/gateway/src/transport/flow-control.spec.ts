import { loadConfig } from '@switchboard/config';
import { FlowControl, type Pausable } from './flow-control';

const fakeSocket = () => {
  const s = { paused: false, pause: () => void (s.paused = true), resume: () => void (s.paused = false) };
  return s;
};

describe('FlowControl', () => {
  it('pauses every connection past the high mark and resumes them (and its listeners) below half of it', () => {
    const sockets = [fakeSocket(), fakeSocket()];
    const registry = { all: () => sockets.map((ws) => ({ ws }) as unknown as Pausable) };
    const flow = new FlowControl(loadConfig({ WEBSOCKET_MAX_QUEUED_BYTES: String(100 * 1024) }), registry);
    let resumed = 0;
    flow.onResume(() => resumed++);

    flow.queuedMore(100 * 1024);
    expect(flow.isPaused).toBe(false);
    flow.queuedMore(1);
    expect(flow.isPaused).toBe(true);
    expect(sockets.every((s) => s.paused)).toBe(true);

    flow.queuedLess(40 * 1024);
    expect(flow.isPaused).toBe(true);
    flow.queuedLess(20 * 1024);
    expect(flow.isPaused).toBe(false);
    expect(sockets.some((s) => s.paused)).toBe(false);
    expect(resumed).toBe(1);
    expect(flow.queuedBytes).toBe(40 * 1024 + 1);
  });
});
