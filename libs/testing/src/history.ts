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

/** Where a client stands in `room` to resume it: its last message's position and the resume token of its newest join confirmation there. */
export interface ResumePoint {
  offset: number;
  epoch: string;
  resume_token?: string;
}

/** `lastPosition` with the client's newest resume token for `room`: what a resume presents (as `since`, or `sinceQuery` on a path). */
export function resumePoint(client: FrameLog, room: string): ResumePoint {
  return { ...lastPosition(client, room), ...tokenOf(client, room) };
}

/** The resume token of the client's newest join confirmation in `room`, as `{resume_token}` (or nothing). */
export function tokenOf(client: FrameLog, room: string): { resume_token?: string } {
  const confirmations = client.frames.filter((f) => confirmation(f) && (f.room === room || f.channel_id === room) && typeof f.resume_token === 'string');
  const last = confirmations[confirmations.length - 1];
  return last === undefined ? {} : { resume_token: last.resume_token as string };
}

/** `since=&epoch=&resume_token=` for a path that resumes from `at`. */
export function sinceQuery(at: ResumePoint): string {
  return `since=${at.offset}&epoch=${encodeURIComponent(at.epoch)}${at.resume_token === undefined ? '' : `&resume_token=${at.resume_token}`}`;
}

/** The first frame of a type, if any (e.g. the join confirmation). */
export function firstOf(client: FrameLog, type: string): Frame | undefined {
  return client.frames.find((f) => f.type === type);
}

/** A join confirmation (`user_list` or `channel_joined` to the joiner: it carries the room's position), not a notice about someone else. */
export const confirmation = (f: Frame): boolean => (f.type === 'user_list' || f.type === 'channel_joined') && typeof f.epoch === 'string';
