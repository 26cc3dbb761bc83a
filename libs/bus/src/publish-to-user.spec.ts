import { type HubEvent, Topics } from '@switchboard/protocol';
import { MemoryBroker, MemoryBus } from './memory.bus';
import { publishToUser, type UserRouting } from './publish-to-user';

const dm: HubEvent = { kind: 'private_message', to: 'x', from: { id: 's', name: 's' }, content: 'secret', ts: 0 };

/** Who a private message reaches: the user, a guest only of an id no registered user has, or guest ids only in their namespace. */
describe('publishToUser', () => {
  let bus: MemoryBus;
  const got: string[] = [];
  const routing = (registered: string[], guestIdNamespace = false): UserRouting => ({ guestIdNamespace, isRegistered: async (id) => registered.includes(id) });

  beforeEach(async () => {
    got.length = 0;
    bus = new MemoryBus(new MemoryBroker());
    bus.setHandler((topic) => void got.push(topic));
    await bus.subscribe([Topics.guest('alice'), Topics.guest('user123'), Topics.guest('guest:user123'), Topics.user('bob')]);
  });
  afterEach(() => bus.close());

  it('never falls back to a guest for a registered user\'s id, even while that user is offline', async () => {
    expect(await publishToUser(bus, 'alice', dm, routing(['alice']))).toBe(0);
    expect(got).toEqual([]);
  });

  it('reaches a guest of an id nobody registered when no user of that id is online (seed 002)', async () => {
    expect(await publishToUser(bus, 'user123', dm, routing([]))).toBe(1);
    expect(got).toEqual([Topics.guest('user123')]);
  });

  it('reaches the online user and no guest', async () => {
    expect(await publishToUser(bus, 'bob', dm, routing([]))).toBe(1);
    expect(got).toEqual([Topics.user('bob')]);
  });

  it('with guest ids in their own namespace, reaches guests only by guest: ids, never asking who is registered', async () => {
    const asked: string[] = [];
    const ns: UserRouting = { guestIdNamespace: true, isRegistered: async (id) => asked.push(id) < 0 };
    expect(await publishToUser(bus, 'user123', dm, ns)).toBe(0);
    expect(await publishToUser(bus, 'guest:user123', dm, ns)).toBe(1);
    expect(got).toEqual([Topics.guest('guest:user123')]);
    expect(asked).toEqual([]);
  });
});
