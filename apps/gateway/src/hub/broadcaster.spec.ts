import { Metrics } from '@switchboard/observability';
import type { Codec, HubEvent } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import type { OutboundFrame } from '../transport/outbound-frame';
import { Broadcaster } from './broadcaster';

/** A codec that counts its renders; `silent` renders nothing. */
function codec(name: string, silent = false): Codec & { renders: number } {
  const c = {
    name,
    renders: 0,
    listsMembersOnJoin: false,
    read: () => ({ command: { kind: 'ping' as const } }),
    render: (e: HubEvent) => {
      c.renders++;
      return silent ? undefined : JSON.stringify({ via: name, kind: e.kind });
    },
    renderReply: () => undefined,
  };
  return c;
}

function conn(id: string, c: Codec, open = true): Connection & { out: OutboundFrame[] } {
  const out: OutboundFrame[] = [];
  return { id, codec: c, out, write: (f: OutboundFrame) => open && out.push(f) > 0 } as unknown as Connection & { out: OutboundFrame[] };
}

const event: HubEvent = { kind: 'message', room: 'r', from: { id: 'u', name: 'u' }, content: 'hi', ts: 1 };
const text = (f: OutboundFrame) => f.websocket.toString('utf8', 2); // skip the 2-byte WebSocket header of a short frame

describe('Broadcaster', () => {
  it('renders once per codec and writes the same frame to every member, skipping one connection', () => {
    const chat = codec('chat');
    const hub = codec('hub');
    const a = conn('a', chat);
    const b = conn('b', chat);
    const c = conn('c', hub);
    const closed = conn('d', hub, false);
    const groups = new Map([
      [chat as Codec, new Set([a, b])],
      [hub as Codec, new Set([c, closed])],
    ]) as Map<Codec, Set<Connection>>;
    const sent = new Broadcaster(new Metrics()).toGroups(groups, event, 'b');
    expect(sent).toBe(2);
    expect(chat.renders).toBe(1);
    expect(hub.renders).toBe(1);
    expect(b.out).toEqual([]);
    expect(JSON.parse(text(a.out[0]))).toEqual({ via: 'chat', kind: 'message' });
    expect(JSON.parse(text(c.out[0]))).toEqual({ via: 'hub', kind: 'message' });
  });

  it('writes nothing to a dialect that does not show the event', () => {
    const silent = codec('silent', true);
    const a = conn('a', silent);
    expect(new Broadcaster(new Metrics()).toGroups(new Map([[silent as Codec, new Set([a])]]) as never, event)).toBe(0);
    expect(a.out).toEqual([]);
  });

  it('renders once per dialect among mixed connections', () => {
    const chat = codec('chat');
    const hub = codec('hub');
    const conns = [conn('a', chat), conn('b', hub), conn('c', chat)];
    expect(new Broadcaster(new Metrics()).toEach(conns, event)).toBe(3);
    expect(chat.renders + hub.renders).toBe(2);
    expect(conns[0].out[0]).toBe(conns[2].out[0]);
  });

  it('marks a kept room publication with its room position, and nothing else', () => {
    const chat = codec('chat');
    const a = conn('a', chat);
    const broadcaster = new Broadcaster(new Metrics());
    broadcaster.toGroups(new Map([[chat as Codec, new Set([a])]]) as never, { ...event, offset: 7, epoch: 'e1' });
    broadcaster.toGroups(new Map([[chat as Codec, new Set([a])]]) as never, event);
    broadcaster.toOne(a, chat, { ...event, offset: 8, epoch: 'e1' });
    expect(a.out.map((f) => f.mark)).toEqual([{ room: 'r', offset: 7, epoch: 'e1' }, undefined, { room: 'r', offset: 8, epoch: 'e1' }]);
  });
});
