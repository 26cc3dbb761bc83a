import { MemoryBroker, MemoryBus } from '@switchboard/bus';
import { type HubEvent, Topics } from '@switchboard/protocol';
import { until } from '@switchboard/testing';
import { publishingOnce } from './outbox-publisher.service';

describe('the outbox relay\'s publish', () => {
  it('delivers a room event once however often its row is published again, and other events as they are', async () => {
    const broker = new MemoryBroker({ size: 10, ttlMs: 60_000 });
    const [relay, gateway] = [new MemoryBus(broker), new MemoryBus(broker)];
    const got: HubEvent[] = [];
    gateway.setHandler((_t, e) => got.push(e));
    const room = Topics.room('general');
    const broadcast = Topics.broadcast();
    await gateway.subscribe([room, broadcast]);
    const publish = publishingOnce(relay, 60_000);
    const created: HubEvent = { kind: 'new_message', room: 'general', data: { id: 'm1', content: 'hi' }, ts: 1000 };
    const edited: HubEvent = { kind: 'message_updated', room: 'general', data: { id: 'm1', content: 'hi!' }, ts: 2000 };

    // A retry after a publish that timed out but was run: the same row, the same bytes.
    await publish(room, created);
    await publish(room, JSON.parse(JSON.stringify(created)));
    await publish(room, edited);
    await publish(broadcast, { kind: 'notification', data: 'all', ts: 3000 });
    await publish(broadcast, { kind: 'notification', data: 'all', ts: 3000 });
    await until('four events', 2000, () => got.length >= 4);
    expect(got.map((e) => e.kind)).toEqual(['new_message', 'message_updated', 'notification', 'notification']);
    expect(got.slice(0, 2).map((e) => (e as { offset?: number }).offset)).toEqual([1, 2]);
  });
});
