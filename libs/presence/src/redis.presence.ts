import { Logger, type LoggerService } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { createRedisClient, type RedisTarget } from '@switchboard/redis';
import type { ExpiredMember, PeerRecord, PeerState, Presence, PresenceMember, ResumedPeer } from './presence';

/** Where Redis is (`url`, or `clusterNodes` for a Redis Cluster), and how presence keeps its entries. */
export interface RedisPresenceOptions extends RedisTarget {
  /** A node that has not refreshed for longer than this is dead: its members vanish from reads. Required. */
  ttlMs: number;
  /** Prefix of every key; it becomes the hash tag `{keyPrefix}`, so it must not contain braces. Default `sb:presence`. */
  keyPrefix?: string;
  /** How long a call waits for Redis (including a reconnect) before it rejects. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Where connection trouble goes (warn). Default: Nest `Logger('RedisPresence')`. */
  logger?: LoggerService;
  /** The commands of one event-loop turn (the joins of a burst) leave in one write (ioredis auto-pipelining). Default true. */
  autoPipelining?: boolean;
}

/*
 * Keys, all under one hash tag so every script sees them in one slot. On a Redis Cluster all
 * of presence therefore lives on one shard: it is small (one entry per membership) and its
 * scripts need atomicity across rooms and nodes.
 *
 *   {P}:room:<room>   HASH  clientId → member JSON
 *   {P}:rooms         SET   rooms that have entries
 *   {P}:hb            ZSET  nodeId → last refresh (Redis clock, ms)
 *   {P}:conns         HASH  nodeId → connection count
 *   {P}:restored      HASH  nodeId → 1 once the node put its entries back (lost with them)
 *   {P}:node:<nodeId> SET   "<room>\0<clientId>" of every entry the node holds
 *   {P}:node-number   STRING the last node number handed out (INCR, never below Redis' clock in seconds)
 *   {P}:peers         HASH  clientId → {node, user, window} of every resumable (signaling) peer
 *   {P}:node-peers:<nodeId> SET clientIds of the registered peers the node holds
 *   {P}:user-conns:<userId> HASH connectionId → nodeId of every connection counted against the user's cap
 *
 * A peer away from any node (its connection closed, or its node died) is held by a node of its
 * own, `~peer:<clientId>`, whose heartbeat is set so that it dies when the peer's window ends:
 * reads, expiry and the leave notices then work for it exactly as for a dead replica.
 *
 * Time is Redis's own (TIME inside the scripts), so replicas' clocks never disagree about a TTL.
 * A node is dead when its heartbeat is older than the TTL; reads leave its entries out at once,
 * and `expire()` claims them in one script, so exactly one caller in the cluster gets each.
 * Until then reads walk the dead node's index to leave its entries out (cheap when none is dead).
 */

/**
 * The next node number: one more than the last, and never below Redis' clock in seconds, so
 * that after Redis lost its data (no persistence, a flush) numbers still only grow: node
 * numbers are taken once per replica start (or per 2^20 ids), far less than one a second.
 */
const NODE_NUMBER = `
local n = redis.call('INCR', KEYS[1])
local now = tonumber(redis.call('TIME')[1])
if n < now then
  redis.call('SET', KEYS[1], now)
  n = now
end
return n`;

/** Lua helpers shared by the scripts. ARGV[1] is always the tagged prefix `{P}`, ARGV[2] the TTL. */
const LIB = `
local P, TTL = ARGV[1], tonumber(ARGV[2])
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function dead_nodes(t)
  return redis.call('ZRANGEBYSCORE', P .. ':hb', '-inf', '(' .. (t - TTL))
end
local function split(entry)
  local i = string.find(entry, '\\0', 1, true)
  return string.sub(entry, 1, i - 1), string.sub(entry, i + 1)
end
-- room -> { clientId -> true } for the present entries of dead nodes
local function dead_entries(t, only_room)
  local out = {}
  for _, node in ipairs(dead_nodes(t)) do
    for _, entry in ipairs(redis.call('SMEMBERS', P .. ':node:' .. node)) do
      local room, client = split(entry)
      if (only_room == nil or room == only_room) and redis.call('HEXISTS', P .. ':room:' .. room, client) == 1 then
        out[room] = out[room] or {}
        out[room][client] = true
      end
    end
  end
  return out
end
local PEER = '~peer:'
local function is_away(node) return string.sub(node, 1, #PEER) == PEER end
-- moves one client's entries in rooms from node 'from' to node 'to' (the member JSON names its node)
local function move(client, rooms, from, to)
  for _, room in ipairs(rooms) do
    local key = P .. ':room:' .. room
    local json = redis.call('HGET', key, client)
    if json then
      local m = cjson.decode(json)
      m.nodeId = to
      redis.call('HSET', key, client, cjson.encode(m))
      redis.call('SREM', P .. ':node:' .. from, room .. '\0' .. client)
      redis.call('SADD', P .. ':node:' .. to, room .. '\0' .. client)
    end
  end
end
-- a registered peer lost its node: its entries wait, held by its own node, until base + its window (at least t)
local function detach(client, from, rooms, base, t)
  local json = redis.call('HGET', P .. ':peers', client)
  if not json then return 0 end
  local rec = cjson.decode(json)
  local away = PEER .. client
  move(client, rooms, from, away)
  redis.call('SREM', P .. ':node-peers:' .. from, client)
  rec.node = away
  redis.call('HSET', P .. ':peers', client, cjson.encode(rec))
  redis.call('ZADD', P .. ':hb', math.max(t, base + rec.window) - TTL, away)
  return 1
end
local function live_count(t, room)
  local dead, n = dead_entries(t, room)[room] or {}, 0
  for _ in pairs(dead) do n = n + 1 end
  return redis.call('HLEN', P .. ':room:' .. room) - n
end
-- drops every entry of a node but those of its registered peers (they wait for a resume);
-- returns them as room, member JSON, room, member JSON...
local function drop_node(node, t)
  local out = {}
  local peers = redis.call('SMEMBERS', P .. ':node-peers:' .. node)
  if #peers > 0 then
    local rooms = {}
    for _, entry in ipairs(redis.call('SMEMBERS', P .. ':node:' .. node)) do
      local room, client = split(entry)
      rooms[client] = rooms[client] or {}
      table.insert(rooms[client], room)
    end
    local base = tonumber(redis.call('ZSCORE', P .. ':hb', node) or t)
    for _, client in ipairs(peers) do detach(client, node, rooms[client] or {}, base, t) end
    redis.call('DEL', P .. ':node-peers:' .. node)
  end
  if is_away(node) then redis.call('HDEL', P .. ':peers', string.sub(node, #PEER + 1)) end
  redis.call('ZREM', P .. ':hb', node)
  redis.call('HDEL', P .. ':conns', node)
  redis.call('HDEL', P .. ':restored', node)
  for _, entry in ipairs(redis.call('SMEMBERS', P .. ':node:' .. node)) do
    local room, client = split(entry)
    local key = P .. ':room:' .. room
    local member = redis.call('HGET', key, client)
    if member then
      redis.call('HDEL', key, client)
      if redis.call('HLEN', key) == 0 then redis.call('SREM', P .. ':rooms', room) end
      table.insert(out, room)
      table.insert(out, member)
    end
  end
  redis.call('DEL', P .. ':node:' .. node)
  return out
end
`;

/** Each script declares the keys it is sure to touch (KEYS[1] routes it); the rest share their hash tag. */
const SCRIPTS = {
  /** ARGV: P, TTL, room, clientId, member JSON, nodeId, '1' to add only to an empty room → live room size (0: refused) */
  add: `${LIB}
local t = now()
if ARGV[7] == '1' and redis.call('HLEN', KEYS[1]) > 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[5])
redis.call('SADD', P .. ':rooms', ARGV[3])
redis.call('SADD', P .. ':node:' .. ARGV[6], ARGV[3] .. '\\0' .. ARGV[4])
redis.call('ZADD', P .. ':hb', t, ARGV[6])
return live_count(t, ARGV[3])`,
  /** ARGV: P, TTL, room, clientId → 1 if removed */
  remove: `${LIB}
local member = redis.call('HGET', KEYS[1], ARGV[4])
if not member then return 0 end
redis.call('HDEL', KEYS[1], ARGV[4])
redis.call('SREM', P .. ':node:' .. cjson.decode(member).nodeId, ARGV[3] .. '\\0' .. ARGV[4])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', P .. ':rooms', ARGV[3]) end
return 1`,
  /** ARGV: P, TTL, room → member JSON of live nodes */
  members: `${LIB}
local dead = dead_entries(now(), ARGV[3])[ARGV[3]] or {}
local all, out = redis.call('HGETALL', KEYS[1]), {}
for i = 1, #all, 2 do
  if not dead[all[i]] then table.insert(out, all[i + 1]) end
end
return out`,
  /** ARGV: P, TTL, room → live room size */
  count: `${LIB}
return live_count(now(), ARGV[3])`,
  /** ARGV: P, TTL → room, size, room, size... (rooms with live members) */
  rooms: `${LIB}
local dead, out = dead_entries(now(), nil), {}
for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local n = redis.call('HLEN', P .. ':room:' .. room)
  for _ in pairs(dead[room] or {}) do n = n - 1 end
  if n > 0 then
    table.insert(out, room)
    table.insert(out, n)
  end
end
return out`,
  /**
   * ARGV: P, TTL, nodeId, connections ('' keeps them), how many entries the node put back
   * ('' marks nothing) → 1 if marked restored. Marked only while the node's index holds exactly
   * that many: a Redis that restarted empty during the restore does not get the mark.
   */
  touch: `${LIB}
redis.call('ZADD', KEYS[1], now(), ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', P .. ':conns', ARGV[3], ARGV[4]) end
if ARGV[5] ~= '' and redis.call('SCARD', P .. ':node:' .. ARGV[3]) == tonumber(ARGV[5]) then
  redis.call('HSET', P .. ':restored', ARGV[3], '1')
end
return redis.call('HEXISTS', P .. ':restored', ARGV[3])`,
  /** ARGV: P, TTL → nodeId, connections, ... of live nodes */
  nodes: `${LIB}
local t, out = now(), {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], t - TTL, '+inf')) do
  if not is_away(node) then
    table.insert(out, node)
    table.insert(out, redis.call('HGET', P .. ':conns', node) or '0')
  end
end
return out`,
  /** ARGV: P, TTL → room, member JSON, ... of every dead node, each handed out once */
  expire: `${LIB}
local out, t = {}, now()
for _, node in ipairs(dead_nodes(t)) do
  for _, v in ipairs(drop_node(node, t)) do table.insert(out, v) end
end
return out`,
  /** ARGV: P, TTL, nodeId */
  removeNode: `${LIB}
drop_node(ARGV[3], now())
return 1`,
  /** ARGV: P, TTL, clientId, nodeId, userId, window ms → 1 if registered, 0 if the id is taken */
  claimPeer: `${LIB}
local rec = cjson.encode({ node = ARGV[4], user = ARGV[5], window = tonumber(ARGV[6]) })
if redis.call('HSETNX', KEYS[1], ARGV[3], rec) == 0 then return 0 end
redis.call('SADD', P .. ':node-peers:' .. ARGV[4], ARGV[3])
return 1`,
  /** ARGV: P, TTL, clientId, nodeId, room, room, ... → 1 if the peer is registered (detached only while nodeId holds it) */
  detachPeer: `${LIB}
local json = redis.call('HGET', KEYS[1], ARGV[3])
if not json then return 0 end
if cjson.decode(json).node ~= ARGV[4] then return 1 end
local t = now()
return detach(ARGV[3], ARGV[4], { unpack(ARGV, 5) }, t, t)`,
  /** ARGV: P, TTL, clientId, nodeId, userId → false, or { previous node ('' when it was away), room, room, ... } */
  resumePeer: `${LIB}
local client, node = ARGV[3], ARGV[4]
local json = redis.call('HGET', KEYS[1], client)
if not json then return false end
local rec, t = cjson.decode(json), now()
if rec.user ~= ARGV[5] then return false end
local from, rooms, prev = rec.node, {}, rec.node
if is_away(from) then
  local hb = redis.call('ZSCORE', P .. ':hb', from)
  if not hb or tonumber(hb) < t - TTL then return false end
  for _, entry in ipairs(redis.call('SMEMBERS', P .. ':node:' .. from)) do table.insert(rooms, (split(entry))) end
  redis.call('ZREM', P .. ':hb', from)
  prev = ''
else
  for _, entry in ipairs(redis.call('SMEMBERS', P .. ':node:' .. from)) do
    local room, c = split(entry)
    if c == client then table.insert(rooms, room) end
  end
  redis.call('SREM', P .. ':node-peers:' .. from, client)
end
move(client, rooms, from, node)
if is_away(from) then redis.call('DEL', P .. ':node:' .. from) end
rec.node = node
redis.call('HSET', KEYS[1], client, cjson.encode(rec))
redis.call('SADD', P .. ':node-peers:' .. node, client)
redis.call('ZADD', P .. ':hb', t, node)
local out = { prev }
for _, room in ipairs(rooms) do table.insert(out, room) end
return out`,
  /** ARGV: P, TTL, clientId → 'connected', 'away' or false */
  peerState: `${LIB}
local json = redis.call('HGET', KEYS[1], ARGV[3])
if not json then return false end
local node = cjson.decode(json).node
if not is_away(node) then return 'connected' end
local hb = redis.call('ZSCORE', P .. ':hb', node)
if hb and tonumber(hb) >= now() - TTL then return 'away' end
return false`,
  /** ARGV: P, TTL, clientId */
  releasePeer: `${LIB}
local json = redis.call('HGET', KEYS[1], ARGV[3])
if not json then return 0 end
redis.call('SREM', P .. ':node-peers:' .. cjson.decode(json).node, ARGV[3])
redis.call('HDEL', KEYS[1], ARGV[3])
return 1`,
  /**
   * ARGV: P, TTL, connectionId, nodeId, cap → 1 if counted. Entries of dead nodes are dropped
   * first; such a node loses its restored mark, so that if it was only stalled it puts them back.
   */
  addUserConnection: `${LIB}
local t = now()
local all, live = redis.call('HGETALL', KEYS[1]), 0
for i = 1, #all, 2 do
  local seen = redis.call('ZSCORE', P .. ':hb', all[i + 1])
  if seen and tonumber(seen) >= t - TTL then
    live = live + 1
  else
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('HDEL', P .. ':restored', all[i + 1])
  end
end
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 0 and live >= tonumber(ARGV[5]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZADD', P .. ':hb', t, ARGV[4])
return 1`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/** Presence in Redis (a single server or a Redis Cluster), shared by every replica. */
export class RedisPresence implements Presence {
  private readonly redis: Redis | Cluster;
  private readonly tag: string;
  private readonly ttlMs: number;
  private readonly commandTimeoutMs: number;
  private readonly log: LoggerService;

  constructor(options: RedisPresenceOptions) {
    const prefix = options.keyPrefix ?? 'sb:presence';
    if (/[{}]/.test(prefix)) throw new Error(`keyPrefix must not contain braces: ${prefix}`);
    this.tag = `{${prefix}}`;
    this.ttlMs = options.ttlMs;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    this.log = options.logger ?? new Logger('RedisPresence');
    const redisOptions: RedisOptions = {
      // In-flight scripts fail when a connection drops and are never replayed: a replayed
      // expire() would hand entries to nobody.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.commandTimeoutMs,
      disconnectTimeout: 500,
      // The joins of one event-loop turn reach Redis in one write.
      enableAutoPipelining: options.autoPipelining ?? true,
    };
    this.redis = createRedisClient(options, { ...redisOptions, scripts: scriptDefinitions() }, { enableAutoPipelining: options.autoPipelining ?? true });
    let lost = false;
    this.redis.on('error', (err: Error) => this.log.debug?.(`presence: ${err.message}`));
    this.redis.on('close', () => {
      if (!lost) this.log.warn('presence lost its Redis connection; reconnecting');
      lost = true;
    });
    this.redis.on('ready', () => {
      if (lost) this.log.log('presence reconnected');
      lost = false;
    });
  }

  async add(room: string, member: PresenceMember, options: { onlyNew?: boolean } = {}): Promise<number> {
    return Number(await this.run('add', this.roomKey(room), room, member.clientId, JSON.stringify(member), member.nodeId, options.onlyNew ? '1' : ''));
  }

  async remove(room: string, clientId: string): Promise<boolean> {
    return Number(await this.run('remove', this.roomKey(room), room, clientId)) === 1;
  }

  async members(room: string): Promise<PresenceMember[]> {
    const json = (await this.run('members', this.roomKey(room), room)) as string[];
    return json.map((m) => JSON.parse(m) as PresenceMember);
  }

  async count(room: string): Promise<number> {
    return Number(await this.run('count', this.roomKey(room), room));
  }

  async rooms(): Promise<Record<string, number>> {
    return pairs((await this.run('rooms', this.key('rooms'))) as Array<string | number>, Number);
  }

  async setConnections(nodeId: string, connections: number): Promise<void> {
    await this.run('touch', this.key('hb'), nodeId, String(connections), '');
  }

  async nodes(): Promise<Record<string, number>> {
    return pairs((await this.run('nodes', this.key('hb'))) as string[], Number);
  }

  async refresh(nodeId: string): Promise<boolean> {
    return Number(await this.run('touch', this.key('hb'), nodeId, '', '')) === 1;
  }

  async markRestored(nodeId: string, entries: number): Promise<void> {
    await this.run('touch', this.key('hb'), nodeId, '', String(entries));
  }

  async expire(): Promise<ExpiredMember[]> {
    const flat = (await this.run('expire', this.key('hb'))) as string[];
    const out: ExpiredMember[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ room: flat[i], member: JSON.parse(flat[i + 1]) as PresenceMember });
    return out;
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.run('removeNode', this.key('hb'), nodeId);
  }

  async claimPeer(clientId: string, peer: PeerRecord): Promise<boolean> {
    return Number(await this.run('claimPeer', this.key('peers'), clientId, peer.nodeId, peer.userId, String(peer.windowMs))) === 1;
  }

  async detachPeer(clientId: string, nodeId: string, rooms: readonly string[]): Promise<boolean> {
    return Number(await this.run('detachPeer', this.key('peers'), clientId, nodeId, ...rooms)) === 1;
  }

  async resumePeer(clientId: string, nodeId: string, userId: string): Promise<ResumedPeer | undefined> {
    const out = (await this.run('resumePeer', this.key('peers'), clientId, nodeId, userId)) as string[] | null;
    if (!out) return undefined;
    const [from, ...rooms] = out;
    return from === '' ? { rooms } : { rooms, fromNode: from };
  }

  async peerState(clientId: string): Promise<PeerState | undefined> {
    return ((await this.run('peerState', this.key('peers'), clientId)) as PeerState | null) ?? undefined;
  }

  async releasePeer(clientId: string): Promise<void> {
    await this.run('releasePeer', this.key('peers'), clientId);
  }

  async addUserConnection(userId: string, connectionId: string, nodeId: string, cap: number): Promise<boolean> {
    return Number(await this.run('addUserConnection', this.key(`user-conns:${userId}`), connectionId, nodeId, String(cap))) === 1;
  }

  async removeUserConnection(userId: string, connectionId: string): Promise<void> {
    await bounded(this.redis.hdel(this.key(`user-conns:${userId}`), connectionId), this.commandTimeoutMs);
  }

  async allocateNodeNumber(): Promise<number> {
    return Number(await bounded(this.redis.eval(NODE_NUMBER, 1, this.key('node-number')) as Promise<number>, this.commandTimeoutMs));
  }

  async close(): Promise<void> {
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    await bounded(this.redis.quit(), 1000).catch(() => this.redis.disconnect());
  }

  private key(name: string): string {
    return `${this.tag}:${name}`;
  }

  private roomKey(room: string): string {
    return this.key(`room:${room}`);
  }

  /** Runs a script by SHA (ioredis loads it on NOSCRIPT); one key, prefix and TTL first in ARGV. */
  private run(name: ScriptName, key: string, ...args: string[]): Promise<unknown> {
    const call = (this.redis as unknown as Record<string, ScriptCall>)[commandName(name)].bind(this.redis);
    return bounded(call(key, this.tag, this.ttlMs, ...args), this.commandTimeoutMs);
  }
}

function scriptDefinitions(): Record<string, { lua: string; numberOfKeys: number }> {
  return Object.fromEntries(Object.entries(SCRIPTS).map(([name, lua]) => [commandName(name as ScriptName), { lua, numberOfKeys: 1 }]));
}

/** Script commands get a prefix so they never shadow ioredis' own (EXPIRE, TOUCH...). */
function commandName(name: ScriptName): string {
  return `sbPresence_${name}`;
}

function pairs<V>(flat: ReadonlyArray<string | number>, value: (raw: string | number) => V): Record<string, V> {
  const out: Record<string, V> = {};
  for (let i = 0; i < flat.length; i += 2) out[String(flat[i])] = value(flat[i + 1]);
  return out;
}

function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`presence: Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
