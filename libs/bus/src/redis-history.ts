import type { Cluster, Redis } from 'ioredis';
import { type HubEvent, type StreamPosition, Topics } from '@switchboard/protocol';
import type { HistoryOptions, HistoryRead } from './bus';
import { newEpoch } from './memory-history';

/**
 * Appends to a room's stream and publishes, atomically. The meta hash holds the epoch and
 * the last offset; a missing meta means the history was lost (expired, or Redis restarted
 * empty), so a new epoch starts. The payload gets its position spliced in front:
 * `{"o":offset,"p":"epoch",` + the rest of the envelope.
 * KEYS: meta, stream. ARGV: publish verb, topic, envelope without its `{`, fresh epoch, size, ttl ms.
 */
const PUBLISH_LUA = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[4]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
local payload = '{"o":' .. offset .. ',"p":"' .. epoch .. '",' .. ARGV[3]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], offset .. '-0', 'd', payload)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return redis.call(ARGV[1], ARGV[2], payload)
`;

/**
 * The room's position and, after offset `since` of epoch `sinceEpoch`, its kept payloads:
 * one XRANGE from the id after `since`. Replies {epoch, offset, recovered (0/1), payloads...}.
 * KEYS: meta, stream. ARGV: fresh epoch, ttl ms, since ('' for none), since epoch.
 */
const READ_LUA = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
if ARGV[3] == '' then return {epoch, offset, 0} end
local since = tonumber(ARGV[3])
if ARGV[4] ~= epoch or since > offset then return {epoch, offset, 0} end
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

  /** Reads the room's position and what followed `since`; `parse` turns a payload back into its event (undefined: not one). */
  async read(topic: string, since: StreamPosition | undefined, parse: (payload: string) => HubEvent | undefined): Promise<HistoryRead> {
    const { meta, stream } = Topics.history(topic);
    const reply = await (this.conn as unknown as Scripted).sbHistoryRead(
      meta,
      stream,
      newEpoch(),
      this.options.ttlMs,
      since === undefined ? '' : since.offset,
      since?.epoch ?? '',
    );
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
