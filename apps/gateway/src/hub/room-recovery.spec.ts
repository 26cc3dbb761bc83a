import type { HistoryRead } from '@switchboard/bus';
import { type Codec, type HubEvent, roomsChatCodec } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import { RoomRecovery } from './room-recovery';

const conn = { id: 'c1' } as Connection;
const other = { id: 'c2' } as Connection;
const codec: Codec = roomsChatCodec;
const E = 'ep1';
const msg = (offset: number, epoch = E): HubEvent => ({ kind: 'message', room: 'r', from: { id: 'u', name: 'u' }, content: `m${offset}`, ts: 1, offset, epoch });
const join = (clientId: string): HubEvent => ({ kind: 'join', room: 'r', from: { id: 'u', name: 'u' }, clientId, ts: 1 });
const read = (offset: number, recovered: boolean, events: HubEvent[] = []): HistoryRead => ({ position: { offset, epoch: E }, recovered, events });

function setup(members: Connection[] = [conn]) {
  const written: Array<[string, string]> = [];
  const write = (c: Connection, e: HubEvent) => written.push([c.id, e.kind === 'message' ? `${e.content}` : `${e.kind}:${(e as { clientId?: string }).clientId}`]);
  const recovery = new RoomRecovery((c, _codec, e) => write(c, e));
  /** A live event as the hub fans it out: what recovery does not take goes to every member (a notice not to its subject). */
  const deliver = (e: HubEvent) => {
    const taken = recovery.intercept('r', e);
    for (const c of members) if (!taken?.has(c) && !('clientId' in e && e.clientId === c.id)) write(c, e);
    return taken;
  };
  return { recovery, deliver, written, sent: (id = 'c1') => written.filter(([c]) => c === id).map(([, what]) => what) };
}

describe('RoomRecovery', () => {
  it('holds live events during the read, then sends history and held events once each, in offset order', () => {
    const { recovery, sent } = setup();
    recovery.begin('r', conn, codec);
    expect(recovery.intercept('r', msg(3))).toEqual(new Set([conn]));
    recovery.intercept('r', join('c1'));
    recovery.intercept('r', join('c9'));
    recovery.intercept('r', msg(4));
    recovery.intercept('r', msg(5));
    expect(sent()).toEqual([]);
    recovery.finish('r', conn, { offset: 1, epoch: E }, read(4, true, [msg(2), msg(3), msg(4)]));
    expect(sent()).toEqual(['m2', 'm3', 'm4', 'join:c9', 'm5']);
  });

  it('drops a late live copy of an event already sent, and lets the connection go at the first new one', () => {
    const { recovery, deliver, sent } = setup();
    recovery.begin('r', conn, codec);
    recovery.finish('r', conn, { offset: 2, epoch: E }, read(4, true, [msg(3), msg(4)]));
    expect(deliver(msg(4))).toEqual(new Set([conn]));
    // Notices are not kept in history, so never duplicates: the fan-out sends them.
    expect(deliver(join('c9'))).toBeUndefined();
    // The first new event ends the seam: from there the room's fan-out serves the connection.
    expect(deliver(msg(5))).toBeUndefined();
    expect(deliver(msg(6))).toBeUndefined();
    expect(sent()).toEqual(['m3', 'm4', 'join:c9', 'm5', 'm6']);
  });

  it('lets a connection go from its seam after a while even in a room without new messages', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { recovery, deliver, sent } = setup();
      recovery.begin('r', conn, codec);
      recovery.finish('r', conn, { offset: 2, epoch: E }, read(2, true));
      deliver(join('c8'));
      expect(deliver(msg(2))).toEqual(new Set([conn])); // a late copy, within the seam: dropped
      jest.setSystemTime(1_000_000 + 6000);
      expect(deliver(msg(2))).toBeUndefined(); // past the seam's time the connection is let go
      expect(deliver(join('c9'))).toBeUndefined();
      expect(sent()).toEqual(['join:c8', 'm2', 'join:c9']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('without recovery sends only what follows the confirmed position', () => {
    const { recovery, sent } = setup();
    recovery.begin('r', conn, codec);
    recovery.intercept('r', msg(8));
    recovery.intercept('r', msg(9));
    recovery.finish('r', conn, { offset: 2, epoch: 'old' }, read(8, false));
    expect(sent()).toEqual(['m9']);
  });

  it('treats events of a new epoch as new whatever their offset', () => {
    const { recovery, deliver, sent } = setup();
    recovery.begin('r', conn, codec);
    deliver(msg(1, 'ep2'));
    recovery.finish('r', conn, undefined, read(5, false));
    expect(deliver(msg(2, 'ep2'))).toBeUndefined();
    expect(sent()).toEqual(['m1', 'm2']);
  });

  it('resumes a connection still at its seam without resending what it got', () => {
    const { recovery, sent } = setup();
    recovery.begin('r', conn, codec);
    recovery.finish('r', conn, { offset: 2, epoch: E }, read(4, true, [msg(3), msg(4)]));
    recovery.begin('r', conn, codec);
    recovery.finish('r', conn, { offset: 2, epoch: E }, read(6, true, [msg(3), msg(4), msg(5), msg(6)]));
    expect(sent()).toEqual(['m3', 'm4', 'm5', 'm6']);
  });

  it('catches a whole room up once: what it missed, then what was held, without the live copies of what the read returned', () => {
    const { recovery } = setup();
    expect(recovery.holdRoom('r')).toBe(true);
    expect(recovery.holdRoom('r')).toBe(false); // one catch-up at a time
    expect(recovery.hold('r', msg(4))).toBe(true); // a live copy of an event the read will return
    expect(recovery.hold('r', join('c9'))).toBe(true);
    expect(recovery.hold('r', msg(5))).toBe(true);
    expect(recovery.hold('other', msg(1))).toBe(false);
    const out = recovery.releaseRoom('r', { offset: 2, epoch: E }, read(4, true, [msg(3), msg(4)]));
    expect(out.map((e) => (e.kind === 'message' ? e.content : e.kind))).toEqual(['m3', 'm4', 'join', 'm5']);
    expect(recovery.hold('r', msg(6))).toBe(false); // released: live events go to the fan-out again
  });

  it('releases only the held events when the catch-up read failed, and only what follows the position past the window', () => {
    const { recovery } = setup();
    recovery.holdRoom('r');
    recovery.hold('r', msg(7));
    expect(recovery.releaseRoom('r', undefined, undefined).map((e) => e.kind === 'message' && e.content)).toEqual(['m7']);
    recovery.holdRoom('r');
    recovery.hold('r', msg(8));
    recovery.hold('r', msg(9));
    expect(recovery.releaseRoom('r', { offset: 1, epoch: E }, read(8, false)).map((e) => e.kind === 'message' && e.content)).toEqual(['m9']);
  });

  it('knows a late live copy of an event the room was sent already: at or before its position, in its epoch', () => {
    const { recovery } = setup();
    recovery.noteDelivered('r', msg(3, 'e1'));
    expect(recovery.isRepeat('r', msg(3, 'e1'))).toBe(true);
    expect(recovery.isRepeat('r', msg(2, 'e1'))).toBe(true);
    expect(recovery.isRepeat('r', msg(4, 'e1'))).toBe(false);
    expect(recovery.isRepeat('r', msg(1, 'e2'))).toBe(false);
    expect(recovery.isRepeat('other', msg(1, 'e1'))).toBe(false);
    expect(recovery.isRepeat('r', join('c9'))).toBe(false);
  });

  it('remembers where the fan-out of a room stands, from the first join on', () => {
    const { recovery } = setup();
    recovery.noteJoined('r', { offset: 3, epoch: E });
    recovery.noteDelivered('r', msg(4));
    recovery.noteJoined('r', { offset: 9, epoch: E });
    recovery.noteDelivered('r', join('c9'));
    expect(recovery.lastDelivered('r')).toEqual({ offset: 4, epoch: E });
    recovery.forgetRoom('r');
    expect(recovery.lastDelivered('r')).toBeUndefined();
  });

  it('keeps connections apart, and forgets a connection that left', () => {
    const { recovery, sent } = setup();
    recovery.begin('r', conn, codec);
    recovery.begin('r', other, codec);
    recovery.intercept('r', msg(1));
    recovery.cancel('r', other);
    recovery.finish('r', other, undefined, read(0, false));
    recovery.finish('r', conn, undefined, undefined);
    expect(sent('c1')).toEqual(['m1']);
    expect(sent('c2')).toEqual([]);
    expect(recovery.intercept('r', msg(2))).toBeUndefined();
  });
});
