import { randomUUID } from 'node:crypto';
import type { HubEvent, StreamPosition } from '@switchboard/protocol';
import type { HistoryOptions, HistoryRead } from './bus';

interface RoomHistory {
  epoch: string;
  offset: number;
  /** The last `size` kept events, oldest first; `events[i].offset === offset - events.length + 1 + i`. */
  events: HubEvent[];
  /** When the last publication happened: the history is lost `ttlMs` after it. */
  touchedAt: number;
  /** When this epoch's first publication came (absent before it, as Redis keeps nothing then). */
  began?: number;
}

/**
 * Room histories of one process, with the Redis history's rules: the last `size` kept
 * publications per room, lost `ttlMs` after the room's last publication (then a new epoch).
 */
export class MemoryHistory {
  private readonly rooms = new Map<string, RoomHistory>();
  private appends = 0;

  constructor(private readonly options: HistoryOptions) {}

  get enabled(): boolean {
    return this.options.size > 0;
  }

  /** Appends an event and returns it carrying its offset and epoch. */
  append(topic: string, event: HubEvent): HubEvent {
    if (++this.appends % 1000 === 0) this.prune();
    const room = this.current(topic);
    room.offset += 1;
    room.touchedAt = Date.now();
    room.began ??= room.touchedAt;
    const positioned = { ...event, offset: room.offset, epoch: room.epoch } as HubEvent;
    room.events.push(positioned);
    if (room.events.length > this.options.size) room.events.shift();
    return positioned;
  }

  read(topic: string, since?: StreamPosition): HistoryRead {
    const room = this.current(topic);
    const position = { epoch: room.epoch, offset: room.offset };
    const began = room.began === undefined ? {} : { began: room.began };
    if (since === undefined) return { position, recovered: false, events: [], ...began };
    if (since.epoch !== room.epoch || since.offset > room.offset) return { position, recovered: false, events: [], ...began };
    const first = room.offset - room.events.length + 1;
    if (since.offset + 1 < first) return { position, recovered: false, events: [], ...began };
    return { position, recovered: true, events: room.events.slice(since.offset + 1 - first), ...began };
  }

  /** Forgets every room's history, as a store restarted empty would. */
  clear(): void {
    this.rooms.clear();
  }

  /** Drops expired rooms, so rooms nobody publishes to any more do not stay in memory. */
  private prune(): void {
    const now = Date.now();
    for (const [topic, room] of this.rooms) if (now - room.touchedAt >= this.options.ttlMs) this.rooms.delete(topic);
  }

  private current(topic: string): RoomHistory {
    let room = this.rooms.get(topic);
    if (room === undefined || Date.now() - room.touchedAt >= this.options.ttlMs) {
      room = { epoch: newEpoch(), offset: 0, events: [], touchedAt: Date.now() };
      this.rooms.set(topic, room);
    }
    return room;
  }
}

/** A fresh epoch name: short, random, safe in JSON without escaping. */
export function newEpoch(): string {
  return randomUUID().slice(0, 8);
}
