import type { Frame, FrameLog } from './frame-log';

/** A kept room frame as a client sees it. */
export interface Seen {
  offset: number;
  epoch: string;
  text: string;
}

/** A chat message in `room` as any dialect renders it: rooms `message` (seed 001), `room_message` (seed 002, `join_room`), channels `message`. */
export function isMessageIn(f: Frame, room: string): boolean {
  return (f.type === 'message' && (f.room === room || f.channel_id === room)) || (f.type === 'room_message' && f.room === room);
}

/** The chat messages a client received in `room`, in arrival order. */
export function seenIn(client: FrameLog, room: string): Seen[] {
  return client.frames
    .filter((f) => isMessageIn(f, room))
    .map((f) => ({ offset: f.offset as number, epoch: f.epoch as string, text: (f.type === 'room_message' ? (f.data as { message: string }).message : f.content) as string }));
}

/** Waits until `client` has seen a message in `room` whose text is `text`. */
export async function waitFor(client: FrameLog, room: string, text: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!seenIn(client, room).some((s) => s.text === text)) {
    if (Date.now() > deadline || client.closeCode !== undefined) throw new Error(`no "${text}" in ${room} (closed=${client.closeCode}); saw ${seenIn(client, room).length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where a client's last message in `room` left it, for `since`. */
export function lastPosition(client: FrameLog, room: string): { offset: number; epoch: string } {
  const seen = seenIn(client, room);
  const last = seen[seen.length - 1];
  return { offset: last.offset, epoch: last.epoch };
}

/** The first frame of a type, if any (e.g. the join confirmation). */
export function firstOf(client: FrameLog, type: string): Frame | undefined {
  return client.frames.find((f) => f.type === type);
}

/** A join confirmation (`user_list` or `channel_joined` to the joiner: it carries the room's position), not a notice about someone else. */
export const confirmation = (f: Frame): boolean => (f.type === 'user_list' || f.type === 'channel_joined') && typeof f.epoch === 'string';
