import type { Cluster, Redis } from 'ioredis';
import { type HubEvent, type StreamPosition, Topics } from '@switchboard/protocol';
import type { HistoryOptions, HistoryRead, PublishOnce, Published } from './bus';
import { newEpoch } from './memory-history';

/**
 * `append()`, the part of the publish scripts that appends to a room's stream. The meta hash holds the epoch, the
 * last offset and when the epoch began (`t`, server time in ms); a missing meta means the
 * room has no history (never published, expired, or Redis restarted empty), so a new epoch
 * starts. The payload gets its position spliced in front:
 * `{"o":offset,"p":"epoch",` + the rest of the envelope. Returns offset, epoch, payload.
 */
const APPEND_LUA = `
local function append()
  local epoch = redis.call('HGET', KEYS[1], 'epoch')
  if not epoch then
    epoch = ARGV[4]
    local now = redis.call('TIME')
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[1], 'epoch', epoch, 't', now[1] * 1000 + math.floor(now[2] / 1000))
  end
  local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
  local payload = '{"o":' .. offset .. ',"p":"' .. epoch .. '",' .. ARGV[3]
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], offset .. '-0', 'd', payload)
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
  return offset, epoch, payload
end
`;
/**
 * Appends to a room's stream and publishes, atomically.
 * KEYS: meta, stream. ARGV: publish verb, topic, envelope without its `{`, fresh epoch, size, ttl ms.
 */
const PUBLISH_LUA = `${APPEND_LUA}
local _, _, payload = append()
return redis.call(ARGV[1], ARGV[2], payload)
`;

/**
 * PUBLISH_LUA once per key: a key seen within its window answers {0, position} and nothing is
 * published; otherwise the payload is appended (when history is on: size > 0) and published,
 * and the key remembers its position ("offset:epoch", '' without history) for the window.
 * Replies {1, position} then.
 * KEYS: meta, stream, once key. ARGV: as PUBLISH_LUA, then the window in ms.
 */
const PUBLISH_ONCE_LUA = `${APPEND_LUA}
local seen = redis.call('GET', KEYS[3])
if seen then return {0, seen} end
local payload = '{' .. ARGV[3]
local position = ''
if tonumber(ARGV[5]) > 0 then
  local offset, epoch
  offset, epoch, payload = append()
  position = offset .. ':' .. epoch
end
redis.call('SET', KEYS[3], position, 'PX', ARGV[7])
redis.call(ARGV[1], ARGV[2], payload)
return {1, position}
`;

/**
 * The room's position and, after offset `since` of epoch `sinceEpoch`, its kept payloads:
 * one XRANGE from the id after `since`. Replies {epoch, offset, recovered (0/1), payloads...}.
 *
 * A room with no history is read without writing anything (a key per room name anyone
 * asks about would outlive the question by the ttl). Its position is offset 0 of an
 * "empty" epoch, `~<server run id>.<server time ms>`: the history as it stood at that
 * moment, on that Redis. Resuming from it recovers the history begun since, from offset 1,
 * when that history began after the empty read and within the ttl of it (so no earlier
 * history can have come and gone unseen in between), on the same Redis run or one restored
 * from its append-only file (a restart without it loses histories without a trace); or,
 * when the room is still empty, nothing, within the ttl.
 * KEYS: meta, stream. ARGV: ttl ms, since ('' for none), since epoch.
 */
const READ_LUA = `
local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
local function run_id()
  return string.sub(string.match(redis.call('INFO', 'server'), 'run_id:(%x+)'), 1, 12)
end
local function same_data(run)
  return run == run_id() or string.match(redis.call('INFO', 'persistence'), 'aof_enabled:(%d)') == '1'
end
local ttl = tonumber(ARGV[1])
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local since = ARGV[2] ~= '' and tonumber(ARGV[2]) or nil
local since_epoch = ARGV[3]
local empty_at
if since ~= nil and string.sub(since_epoch, 1, 1) == '~' then
  local run, at = string.match(since_epoch, '^~(%x+)%.(%d+)$')
  if run ~= nil and since == 0 and same_data(run) then empty_at = tonumber(at) end
end
if not epoch then
  local now = now_ms()
  local position = '~' .. run_id() .. '.' .. now
  if since == nil then return {position, 0, 0} end
  -- Still empty: nothing was missed, unless a whole history could have come and gone.
  if empty_at ~= nil and empty_at <= now and now - empty_at <= ttl then return {position, 0, 1} end
  return {position, 0, 0}
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
if since == nil then return {epoch, offset, 0} end
if empty_at ~= nil then
  local began = tonumber(redis.call('HGET', KEYS[1], 't'))
  if began == nil or began < empty_at or began - empty_at > ttl then return {epoch, offset, 0} end
  since_epoch = epoch
end
if since_epoch ~= epoch or since > offset then return {epoch, offset, 0} end
if since == offset then return {epoch, offset, 1} end
local first = string.format('%d-0', since + 1)
local entries = redis.call('XRANGE', KEYS[2], first, '+')
if #entries == 0 or entries[1][1] ~= first then return {epoch, offset, 0} end
local out = {epoch, offset, 1}
for _, entry in ipairs(entries) do out[#out + 1] = entry[2][2] end
return out
`;

type Scripted = {
  sbHistoryPublish(meta: string, stream: string, ...args: Array<string | number>): Promise<number>;
  sbPublishOnce(meta: string, stream: string, key: string, ...args: Array<string | number>): Promise<[number, string]>;
  sbHistoryRead(meta: string, stream: string, ...args: Array<string | number>): Promise<Array<string | number>>;
};

/** Room history on Redis streams: the scripts, and how their replies are read. */
export class RedisHistory {
  constructor(
    private readonly options: HistoryOptions,
    private readonly conn: Redis | Cluster,
    /** PUBLISH on a single server, SPUBLISH on a cluster. */
    private readonly verb: 'PUBLISH' | 'SPUBLISH',
  ) {
    conn.defineCommand('sbHistoryPublish', { numberOfKeys: 2, lua: PUBLISH_LUA });
    conn.defineCommand('sbHistoryRead', { numberOfKeys: 2, lua: READ_LUA });
    conn.defineCommand('sbPublishOnce', { numberOfKeys: 3, lua: PUBLISH_ONCE_LUA });
  }

  /** Whether this publication goes through the history. */
  keeps(topic: string, kept: boolean): boolean {
    return kept && this.options.size > 0 && Topics.roomOf(topic) !== undefined;
  }

  /** Appends and publishes `payload` (an envelope, JSON); resolves the receivers. */
  publish(topic: string, payload: string): Promise<number> {
    const { meta, stream } = Topics.history(topic);
    return (this.conn as unknown as Scripted).sbHistoryPublish(meta, stream, this.verb, topic, payload.slice(1), newEpoch(), this.options.size, this.options.ttlMs);
  }

  /** Appends (when history is on) and publishes `payload` unless `once.key` was seen within its window; see Bus.publishOnce. */
  async publishOnce(topic: string, payload: string, kept: boolean, once: PublishOnce): Promise<Published> {
    const { meta, stream } = Topics.history(topic);
    const scripted = this.conn as unknown as Scripted;
    const size = this.keeps(topic, kept) ? this.options.size : 0;
    const [fresh, at] = await scripted.sbPublishOnce(meta, stream, once.key, this.verb, topic, payload.slice(1), newEpoch(), size, this.options.ttlMs, once.windowMs);
    const sep = at.indexOf(':');
    const position = sep < 0 ? undefined : { offset: Number(at.slice(0, sep)), epoch: at.slice(sep + 1) };
    return { repeat: Number(fresh) !== 1, position };
  }

  /** Reads the room's position and what followed `since`; `parse` turns a payload back into its event (undefined: not one). */
  async read(topic: string, since: StreamPosition | undefined, parse: (payload: string) => HubEvent | undefined): Promise<HistoryRead> {
    const { meta, stream } = Topics.history(topic);
    const reply = await (this.conn as unknown as Scripted).sbHistoryRead(meta, stream, this.options.ttlMs, since === undefined ? '' : since.offset, since?.epoch ?? '');
    const position = { epoch: String(reply[0]), offset: Number(reply[1]) };
    if (Number(reply[2]) !== 1) return { position, recovered: false, events: [] };
    const events: HubEvent[] = [];
    for (let i = 3; i < reply.length; i++) {
      const event = parse(String(reply[i]));
      // An entry that cannot be read is a gap: say so rather than skip it.
      if (event === undefined) return { position, recovered: false, events: [] };
      events.push(event);
    }
    return { position, recovered: since !== undefined, events };
  }
}
