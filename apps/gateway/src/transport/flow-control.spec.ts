import { loadConfig } from '@switchboard/config';
import { FlowControl, type Pausable } from './flow-control';

const fakeConnection = () => {
  const s = { paused: false, pauseReading: () => void (s.paused = true), resumeReading: () => void (s.paused = false) };
  return s;
};

describe('FlowControl', () => {
  it('pauses every connection past the high mark and resumes them (and its listeners) below half of it', () => {
    const sockets = [fakeConnection(), fakeConnection()];
    const registry = { all: (): Pausable[] => sockets };
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
