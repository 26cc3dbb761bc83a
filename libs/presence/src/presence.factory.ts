import type { SwitchboardConfig } from '../../config/src';
import { MemoryPresence } from './memory.presence';
import { PRESENCE, type Presence } from './presence';

export { PRESENCE };

/** Picks the presence implementation that matches the bus. */
export function createPresence(config: SwitchboardConfig): Presence {
  switch (config.bus.kind) {
    case 'memory':
      return new MemoryPresence(config.ws.connectionTimeoutMs);
    case 'redis':
      throw new Error('BUS=redis is not available yet');
  }
}
