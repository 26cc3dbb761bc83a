import { Logger } from '@nestjs/common';
import type { SwitchboardConfig } from '@switchboard/config';
import { redisTarget } from '@switchboard/redis';
import { MemoryPresence } from './memory.presence';
import type { Presence } from './presence';
import { RedisPresence } from './redis.presence';

/** Picks the presence implementation that matches the bus; the TTL is WEBSOCKET_CONNECTION_TIMEOUT. */
export function createPresence(config: SwitchboardConfig): Presence {
  const ttlMs = config.ws.connectionTimeoutMs;
  if (config.bus.kind === 'memory') return new MemoryPresence(ttlMs);
  return new RedisPresence({
    ttlMs,
    ...redisTarget(config.bus),
    autoPipelining: config.bus.autoPipelining,
    logger: new Logger('RedisPresence'),
  });
}
