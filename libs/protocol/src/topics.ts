/**
 * Bus topic names: the only place they are built. Chat rooms and channels share one
 * namespace (SPEC "Rooms are one namespace"); signaling rooms have their own room names
 * (`signalingRoom`: `signaling/<id>`), so their topics never meet a chat room's.
 */
const PREFIX = 'sb';
const HEAD = `${PREFIX}:`;

/** What a topic addresses: a room's members, a user's or a guest's connections, one peer, one SSE session, one replica, everyone. */
export type TopicKind = 'room' | 'user' | 'guest' | 'peer' | 'session' | 'node' | 'all';
const KINDS: ReadonlySet<string> = new Set<TopicKind>(['room', 'user', 'guest', 'peer', 'session', 'node', 'all']);

/** The prefix of every guest id when guests have their own namespace (WEBSOCKET_GUEST_ID_NAMESPACE). */
export const GUEST_ID_PREFIX = 'guest:';

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
  /**
   * Client frames POSTed to one SSE session, forwarded by whichever replica the POST reached
   * to the one replica that holds the session's stream (it alone subscribes).
   */
  session: (sessionId: string): string => `${PREFIX}:session:${sessionId}`,
  /** Answers addressed to one replica (by its bus node id): how a forwarded SSE uplink was taken. */
  node: (nodeId: string): string => `${PREFIX}:node:${nodeId}`,
  /** Events addressed to every connection in the cluster. */
  broadcast: (): string => `${PREFIX}:all`,
  /**
   * The Redis keys of a room topic's history: its stream and its meta hash (epoch, offset).
   * Hash-tagged with the topic, so on a cluster they live on the slot its shard channel does.
   */
  history: (topic: string): { stream: string; meta: string } => ({ stream: `{${topic}}:stream`, meta: `{${topic}}:meta` }),
  /**
   * The Redis key remembering one publish `id` of one sender in a room topic (acknowledged
   * publish): hash-tagged with the topic like its history, so the check and the append are one
   * script on one slot. `sender` names who sent it (an authenticated user or a guest, apart);
   * its length goes first, so no sender and id can spell another pair's key.
   */
  publishOnce: (topic: string, sender: string, id: string): string => `{${topic}}:once:${sender.length}:${sender}:${id}`,
  /**
   * A topic's kind and what it names (the room, the user or guest id, the client id; '' for
   * `all`), or undefined for a topic that is not one of these.
   */
  parse(topic: string): { kind: TopicKind; name: string } | undefined {
    if (!topic.startsWith(HEAD)) return undefined;
    const sep = topic.indexOf(':', HEAD.length);
    const kind = sep < 0 ? topic.slice(HEAD.length) : topic.slice(HEAD.length, sep);
    if (!KINDS.has(kind)) return undefined;
    return { kind: kind as TopicKind, name: sep < 0 ? '' : topic.slice(sep + 1) };
  },
  /** The kind of a topic, for metrics labels: room, user, guest, peer, all, or other. */
  kindOf(topic: string): TopicKind | 'other' {
    return Topics.parse(topic)?.kind ?? 'other';
  },
  /** Recognises a peer topic and returns the connection id, or undefined. */
  peerOf(topic: string): string | undefined {
    const parsed = Topics.parse(topic);
    return parsed?.kind === 'peer' ? parsed.name : undefined;
  },
  /** Recognises a room topic and returns the room, or undefined. */
  roomOf(topic: string): string | undefined {
    const parsed = Topics.parse(topic);
    return parsed?.kind === 'room' ? parsed.name : undefined;
  },
};
