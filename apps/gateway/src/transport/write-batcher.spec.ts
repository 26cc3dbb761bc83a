import { WriteBatcher } from './write-batcher';

const turn = () => new Promise((r) => setImmediate(r));

describe('WriteBatcher', () => {
  it('flushes everything queued in a turn at its end (no delay)', async () => {
    const batcher = new WriteBatcher();
    const flushed: string[] = [];
    batcher.add({ flush: () => flushed.push('a') });
    batcher.add({ flush: () => flushed.push('b') });
    expect(flushed).toEqual([]);
    await turn();
    expect(flushed).toEqual(['a', 'b']);
  });

  it('with WEBSOCKET_WRITE_DELAY lets frames collect that long, across turns, then flushes once', async () => {
    jest.useFakeTimers();
    try {
      const batcher = new WriteBatcher(5);
      const flushed: string[] = [];
      batcher.add({ flush: () => flushed.push('first') });
      jest.advanceTimersByTime(4);
      batcher.add({ flush: () => flushed.push('later') });
      expect(flushed).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(flushed).toEqual(['first', 'later']);
      batcher.add({ flush: () => flushed.push('next window') });
      jest.advanceTimersByTime(5);
      expect(flushed).toEqual(['first', 'later', 'next window']);
    } finally {
      jest.useRealTimers();
    }
  });
});
