import type { Frame, TestClient } from './ws-client';

/** A kept room frame as a client sees it. */
export interface Seen {
  offset: number;
  epoch: string;
  text: string;
}

/** The chat messages a client received in `room` (rooms `message` or channels `message` frames), in arrival order. */
export function seenIn(client: TestClient, room: string): Seen[] {
  return client.frames
    .filter((f) => f.type === 'message' && (f.room === room || f.channel_id === room))
    .map((f) => ({ offset: f.offset as number, epoch: f.epoch as string, text: f.content as string }));
}

/** Waits until `client` has seen a message in `room` whose text is `text`. */
export async function waitFor(client: TestClient, room: string, text: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!seenIn(client, room).some((s) => s.text === text)) {
    if (Date.now() > deadline || client.closeCode !== undefined) throw new Error(`no "${text}" in ${room} (closed=${client.closeCode}); saw ${seenIn(client, room).length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where a client's last message in `room` left it, for `since`. */
export function lastPosition(client: TestClient, room: string): { offset: number; epoch: string } {
  const seen = seenIn(client, room);
  const last = seen[seen.length - 1];
  return { offset: last.offset, epoch: last.epoch };
}

/** The first frame of a type, if any (e.g. the join confirmation). */
export function firstOf(client: TestClient, type: string): Frame | undefined {
  return client.frames.find((f) => f.type === type);
}
