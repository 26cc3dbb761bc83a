import { Injectable } from '@nestjs/common';
import { Metrics } from '@switchboard/observability';
import type { Codec, HubEvent } from '@switchboard/protocol';
import type { Connection } from '../transport/connection';
import { OutboundFrame, type RoomMark } from '../transport/outbound-frame';
import type { CodecGroups } from './local-index';

/**
 * Turns an event into frames and hands them to the transport: rendered once per codec,
 * framed once per transport, and the same bytes queued on every recipient — never one
 * render or one encode per recipient.
 */
@Injectable()
export class Broadcaster {
  constructor(private readonly metrics: Metrics) {}

  /**
   * Writes the event to every member of every group, except connection `skip` and the
   * connections in `except` (being resumed: they get it from the recovery); returns how many got it.
   */
  toGroups(groups: CodecGroups, event: HubEvent, skip?: string, except?: ReadonlySet<Connection>): number {
    let sent = 0;
    let bytes = 0;
    for (const [codec, members] of groups) {
      const text = codec.render(event);
      if (text === undefined) continue;
      const frame = new OutboundFrame(text, markOf(event), event.kind === 'join' || event.kind === 'leave');
      let n = 0;
      if (except !== undefined) {
        for (const conn of members) if (conn.id !== skip && !except.has(conn) && conn.write(frame)) n++;
      } else if (skip === undefined) {
        for (const conn of members) if (conn.write(frame)) n++;
      } else {
        for (const conn of members) if (conn.id !== skip && conn.write(frame)) n++;
      }
      sent += n;
      bytes += n * Buffer.byteLength(text);
    }
    this.count(event, sent, bytes);
    return sent;
  }

  /** One room event to one connection, rendered by the codec it joined the room with (replays). */
  toOne(conn: Connection, codec: Codec, event: HubEvent): void {
    const text = codec.render(event);
    if (text === undefined) return;
    if (conn.write(new OutboundFrame(text, markOf(event)))) this.count(event, 1, Buffer.byteLength(text));
  }

  /** For a few connections that may speak different dialects (one user's). */
  toEach(conns: Iterable<Connection>, event: HubEvent): number {
    const frames = new Map<Codec, OutboundFrame | null>();
    let sent = 0;
    let bytes = 0;
    for (const conn of conns) {
      let frame = frames.get(conn.codec);
      if (frame === undefined) {
        const text = conn.codec.render(event);
        frames.set(conn.codec, (frame = text === undefined ? null : new OutboundFrame(text)));
      }
      if (frame && conn.write(frame)) {
        sent++;
        bytes += Buffer.byteLength(frame.text);
      }
    }
    this.count(event, sent, bytes);
    return sent;
  }

  private count(event: HubEvent, sent: number, bytes: number): void {
    this.metrics.framesOut.labels(event.kind).inc(sent);
    this.metrics.bytesOut.inc(bytes);
  }
}

/** Where a kept room publication stands in its room's history, if it is one. */
function markOf(event: HubEvent): RoomMark | undefined {
  if (!('offset' in event) || event.offset === undefined || event.epoch === undefined || event.room === undefined) return undefined;
  return { room: event.room, offset: event.offset, epoch: event.epoch };
}
