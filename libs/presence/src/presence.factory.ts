import { Logger } from '@nestjs/common';
import type { SwitchboardConfig } from '@switchboard/config';
import { MemoryPresence } from './memory.presence';
import { PRESENCE, type Presence } from './presence';
import { RedisPresence } from './redis.presence';


/** Picks the presence implementation that matches the bus; the TTL is WEBSOCKET_CONNECTION_TIMEOUT. */
export function createPresence(config: SwitchboardConfig): Presence {
  const ttlMs = config.ws.connectionTimeoutMs;
  if (config.bus.kind === 'memory') return new MemoryPresence(ttlMs);
  return new RedisPresence({
    ttlMs,
    url: config.bus.redisUrl,
    clusterNodes: config.bus.clusterNodes.length > 0 ? config.bus.clusterNodes : undefined,
    logger: new Logger('RedisPresence'),
  });
}
