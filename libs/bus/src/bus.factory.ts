import { Logger } from '@nestjs/common';
import type { BusConfig } from '@switchboard/config';
import type { Metrics } from '@switchboard/observability';
import { Topics } from '@switchboard/protocol';
import { redisTarget } from '@switchboard/redis';
import { BUS, type Bus } from './bus';
import { MemoryBroker, MemoryBus } from './memory.bus';
import { RedisBus } from './redis.bus';


/** Picks the bus implementation from the config, with its metrics wired. */
export function createBus(config: BusConfig, metrics: Metrics): Bus {
  const history = { size: config.historySize, ttlMs: config.historyTtlMs };
  const onPublish = (latencyMs: number) => metrics.busPublishLatency.observe(latencyMs / 1000);
  if (config.kind === 'memory') return new MemoryBus(new MemoryBroker(history), onPublish);
  return new RedisBus({
    history,
    ...redisTarget(config),
    autoPipelining: config.autoPipelining,
    logger: new Logger('RedisBus'),
    metrics: {
      onPublish,
      onDeliver: (latencyMs, topic, bytes) => {
        metrics.busLatency.observe(latencyMs / 1000);
        metrics.busBytesIn.labels(Topics.kindOf(topic)).inc(bytes);
      },
      onDropped: (reason) => metrics.busDropped.labels(reason).inc(),
      onError: () => metrics.busErrors.labels('connection').inc(),
    },
  });
}
