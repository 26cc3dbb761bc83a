import type { Codec } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import { LocalIndex } from './local-index';

const chat = { name: 'chat' } as Codec;
const hub = { name: 'hub' } as Codec;
const conn = (id: string, codec: Codec = chat) => ({ id, codec }) as unknown as Connection;

describe('LocalIndex', () => {
  it('registers connections per codec and per user, telling first and last', () => {
    const index = new LocalIndex();
    const a1 = conn('a1');
    const a2 = conn('a2', hub);
    expect(index.add(a1, 'user:a')).toBe(true);
    expect(index.add(a2, 'user:a')).toBe(false);
    expect(index.size).toBe(2);
    expect([...index.all()]).toEqual([a1, a2]);
    expect([...index.byCodec.keys()]).toEqual([chat, hub]);
    expect(index.hasUser('user:a')).toBe(true);
    expect(index.remove(a1, 'user:a')).toBe(false);
    expect(index.remove(a2, 'user:a')).toBe(true);
    expect(index.hasUser('user:a')).toBe(false);
    expect(index.size).toBe(0);
    expect(index.byCodec.size).toBe(0);
  });

  it('groups a room by codec, keeps a roster while a member is here, and drops it with the last', () => {
    const index = new LocalIndex();
    const a = conn('a');
    const b = conn('b', hub);
    expect(index.join('r', chat, a)).toBe(true);
    expect(index.join('r', hub, b)).toBe(false);
    expect(index.join('r', hub, b)).toBe(false);
    expect(index.roomCount).toBe(1);
    expect([...index.groups('r')!.entries()].map(([c, s]) => [c.name, [...s].map((x) => x.id)])).toEqual([
      ['chat', ['a']],
      ['hub', ['b']],
    ]);
    index.roster('r')!.add({ clientId: 'a', username: 'alice' });
    expect(index.leave('r', chat, b)).toBe(false); // not in that group
    expect(index.leave('r', chat, a)).toBe(false);
    expect(index.roster('r')!.size).toBe(1);
    expect(index.leave('r', hub, b)).toBe(true);
    expect(index.hasRoom('r')).toBe(false);
    expect(index.roster('r')).toBeUndefined();
    expect([...index.roomNames()]).toEqual([]);
  });
});
