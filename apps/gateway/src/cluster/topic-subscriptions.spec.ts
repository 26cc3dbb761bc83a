import { MemoryBus } from '@switchboard/bus';
import { TopicSubscriptions } from './topic-subscriptions';

/** A memory bus that records the batches it was asked for. */
class CountingBus extends MemoryBus {
  readonly calls: Array<['sub' | 'unsub', string[]]> = [];
  fail = false;
  override async subscribe(topics: readonly string[]): Promise<void> {
    this.calls.push(['sub', [...topics]]);
    if (this.fail) throw new Error('bus down');
    return super.subscribe(topics);
  }
  override async unsubscribe(topics: readonly string[]): Promise<void> {
    this.calls.push(['unsub', [...topics]]);
    return super.unsubscribe(topics);
  }
}

describe('TopicSubscriptions', () => {
  it('sends a storm of joins in one turn as one subscribe batch, and resolves each once live', async () => {
    const bus = new CountingBus();
    const subs = new TopicSubscriptions(bus, () => true);
    const topics = Array.from({ length: 500 }, (_, i) => `t${i}`);
    await Promise.all(topics.map((t) => subs.want(t)));
    expect(bus.calls).toEqual([['sub', topics]]);
    expect(bus.topics().size).toBe(500);
    await subs.want('t1');
    expect(bus.calls).toHaveLength(1);
  });

  it('does not unsubscribe a topic wanted again before its batch ran', async () => {
    const bus = new CountingBus();
    let wanted = true;
    const subs = new TopicSubscriptions(bus, () => wanted);
    await subs.want('room');
    wanted = false;
    subs.drop('room');
    wanted = true;
    await subs.want('room');
    await new Promise((r) => setImmediate(r));
    expect(bus.calls.filter(([op]) => op === 'unsub')).toEqual([]);
    wanted = false;
    subs.drop('room');
    await new Promise((r) => setTimeout(r, 10));
    expect(bus.calls[bus.calls.length - 1]).toEqual(['unsub', ['room']]);
    expect(bus.topics().has('room')).toBe(false);
  });

  it('rejects the waiters of a batch the bus refused, and tries again on the next want', async () => {
    const bus = new CountingBus();
    const subs = new TopicSubscriptions(bus, () => true);
    bus.fail = true;
    await expect(subs.want('x')).rejects.toThrow('bus down');
    bus.fail = false;
    await subs.want('x');
    expect(bus.topics().has('x')).toBe(true);
  });
});
