import type { BusConfig } from '../../config/src';
import type { Metrics } from '../../observability/src';
import { BUS, type Bus } from './bus';
import { MemoryBus } from './memory.bus';

export { BUS };

/** Picks the bus implementation from the config. */
export function createBus(config: BusConfig, _metrics?: Metrics): Bus {
  switch (config.kind) {
    case 'memory':
      return new MemoryBus();
    case 'redis':
      throw new Error('BUS=redis is not available yet');
  }
}
