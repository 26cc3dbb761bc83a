/**
 * Bus topic names: the only place they are built. Rooms, channels and signaling rooms
 * share one namespace (SPEC "Rooms are one namespace").
 */
const PREFIX = 'sb';

export const Topics = {
  /** Every event addressed to the members of one room, on every replica. */
  room: (room: string): string => `${PREFIX}:room:${room}`,
  /** Events addressed to every connection of one user, wherever it is. */
  user: (userId: string): string => `${PREFIX}:user:${userId}`,
  /**
   * Events for connections that named themselves with seed 002's `?user_id=` and no
   * credential: a separate namespace, so a guest can never receive an authenticated user's
   * messages by claiming their id.
   */
  guest: (userId: string): string => `${PREFIX}:guest:${userId}`,
  /** Signaling messages addressed to one connection (a peer), wherever it is. */
  peer: (clientId: string): string => `${PREFIX}:peer:${clientId}`,
  /** Events addressed to every connection in the cluster. */
  broadcast: (): string => `${PREFIX}:all`,
  /**
   * The Redis keys of a room topic's history: its stream and its meta hash (epoch, offset).
   * Hash-tagged with the topic, so on a cluster they live on the slot its shard channel does.
   */
  history: (topic: string): { stream: string; meta: string } => ({ stream: `{${topic}}:stream`, meta: `{${topic}}:meta` }),
  /** The kind of a topic, for metrics labels: room, user, guest, peer, all, or other. */
  kindOf(topic: string): 'room' | 'user' | 'guest' | 'peer' | 'all' | 'other' {
    const parts = topic.split(':', 3);
    if (parts[0] !== PREFIX) return 'other';
    const kind = parts[1];
    return kind === 'room' || kind === 'user' || kind === 'guest' || kind === 'peer' || kind === 'all' ? kind : 'other';
  },
  /** Recognises a peer topic and returns the connection id, or undefined. */
  peerOf(topic: string): string | undefined {
    const head = `${PREFIX}:peer:`;
    return topic.startsWith(head) ? topic.slice(head.length) : undefined;
  },
  /** Recognises a room topic and returns the room, or undefined. */
  roomOf(topic: string): string | undefined {
    const head = `${PREFIX}:room:`;
    return topic.startsWith(head) ? topic.slice(head.length) : undefined;
  },
};
