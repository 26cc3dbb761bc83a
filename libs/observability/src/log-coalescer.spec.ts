import { jest } from '@jest/globals';
import { type LogEntry, LogCoalescer } from './log-coalescer';

describe('LogCoalescer', () => {
  let written: LogEntry[];
  let log: LogCoalescer;

  beforeEach(() => {
    jest.useFakeTimers();
    written = [];
    log = new LogCoalescer((e) => written.push(e), 10_000);
  });
  afterEach(() => {
    log.flush();
    jest.useRealTimers();
  });

  it('writes the first line of a kind at once and one line per interval with the count of the rest', () => {
    for (let i = 0; i < 500; i++) log.log('publish: Connection is closed.', { msg: 'publish failed', room: `r${i}`, error: 'Connection is closed.' });
    expect(written).toEqual([{ msg: 'publish failed', room: 'r0', error: 'Connection is closed.' }]);
    jest.advanceTimersByTime(10_000);
    expect(written).toEqual([
      { msg: 'publish failed', room: 'r0', error: 'Connection is closed.' },
      { msg: 'publish failed', room: 'r499', error: 'Connection is closed.', repeated: 499 },
    ]);
    // Still failing in the next interval: one more line, counting only that interval's.
    for (let i = 0; i < 20; i++) log.log('publish: Connection is closed.', { msg: 'publish failed', error: 'Connection is closed.' });
    jest.advanceTimersByTime(10_000);
    expect(written.slice(2)).toEqual([{ msg: 'publish failed', error: 'Connection is closed.', repeated: 20 }]);
  });

  it('keeps kinds apart, and starts a kind over once it was quiet for a whole interval', () => {
    log.log('a', { msg: 'publish failed' });
    log.log('b', { msg: 'presence remove failed' });
    log.log('a', { msg: 'publish failed' });
    expect(written.map((e) => e.msg)).toEqual(['publish failed', 'presence remove failed']);
    jest.advanceTimersByTime(10_000);
    expect(written.slice(2)).toEqual([{ msg: 'publish failed', repeated: 1 }]);
    jest.advanceTimersByTime(10_000); // a quiet interval: nothing to say
    expect(written).toHaveLength(3);
    log.log('a', { msg: 'publish failed', again: true });
    expect(written.slice(3)).toEqual([{ msg: 'publish failed', again: true }]);
  });

  it('flush writes what is still counted', () => {
    log.log('a', { msg: 'x' });
    log.log('a', { msg: 'x' });
    log.flush();
    expect(written).toEqual([{ msg: 'x' }, { msg: 'x', repeated: 1 }]);
  });
});
