import { type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { clientIp } from '@switchboard/auth';
import type { SwitchboardConfig } from '@switchboard/config';
import { LogCoalescer, type Metrics } from '@switchboard/observability';
import { createRedisClient, redisTarget } from '@switchboard/redis';
import type { Principal } from './credentials.service';

/**
 * Abuse limits on the auth endpoints, counted per endpoint in two ways: per client IP
 * (X-Forwarded-For's first entry with TRUST_PROXY) and per username (the body's `username`,
 * or the authenticated user), so neither one IP nor a botnet against one account gets
 * more than a few scrypt runs per window. `/auth/login` skips the `username` throttler here:
 * `LoginFailureLimit` counts only its failed attempts. Counters live in Redis with BUS=redis
 * (shared by every api replica), in memory otherwise.
 */
export function authThrottling(config: SwitchboardConfig, metrics: Metrics): ThrottlerModuleOptions {
  const { perIp, perUsername, windowMs } = config.api.authRateLimit;
  return {
    throttlers: [
      { name: 'ip', limit: perIp, ttl: windowMs, getTracker: (req) => clientIp(req as Request, config.trustProxy) },
      { name: 'username', limit: perUsername, ttl: windowMs, getTracker: (req) => usernameOf(req as Request) ?? '', skipIf: (ctx) => usernameOf(ctx.switchToHttp().getRequest()) === undefined },
    ],
    storage: config.bus.kind === 'redis' ? new FailOpenStorage(redisStorage(config, metrics), metrics) : undefined,
  };
}

export function usernameOf(req: Request & { principal?: Principal }): string | undefined {
  if (req.principal) return `id:${req.principal.identity.userId}`;
  const name = (req.body as { username?: unknown } | undefined)?.username;
  return typeof name === 'string' && name !== '' ? `name:${name.toLowerCase()}` : undefined;
}

const COMMAND_TIMEOUT_MS = 2000;

function redisStorage(config: SwitchboardConfig, metrics: Metrics): ThrottlerStorageRedisService {
  // An attempt waits at most COMMAND_TIMEOUT_MS for Redis (also while it first connects);
  // past that, FailOpenStorage lets it through.
  const options = { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS };
  const onError = (err: Error) => {
    // Like the bus: each attempt that fails for it is logged at warn below; the connection's own errors at debug.
    metrics.errors.labels('auth_throttle_redis_connection').inc();
    new Logger('AuthThrottling').debug({ msg: 'Redis connection error', error: err.message });
  };
  const redis = createRedisClient(redisTarget(config.bus), options);
  redis.on('error', onError).on('node error', onError);
  // It takes a Cluster as well as a Redis; its overloads just do not name the union.
  const storage = new ThrottlerStorageRedisService(redis as Redis);
  // The storage disconnects a client it was handed only when told to (at shutdown, onModuleDestroy).
  storage.disconnectRequired = true;
  return storage;
}

/**
 * When Redis cannot count an attempt, the attempt goes through (the bus being down already
 * turns readiness red); each such attempt is counted in a metric and logged at warn, alike
 * failures as one line per interval with a count.
 */
class FailOpenStorage implements ThrottlerStorage {
  private readonly logger = new Logger('AuthThrottling');
  private readonly warnings = new LogCoalescer((entry) => this.logger.warn(entry));

  constructor(
    private readonly inner: ThrottlerStorageRedisService,
    private readonly metrics: Metrics,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    try {
      return await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (err) {
      this.metrics.errors.labels('auth_throttle_unavailable').inc();
      const error = (err as Error).message;
      this.warnings.log(throttlerName, { msg: 'could not count an auth attempt in Redis; letting it through', throttler: throttlerName, error });
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  onModuleDestroy(): void {
    this.warnings.flush();
    this.inner.onModuleDestroy();
  }
}

/** ThrottlerGuard answering 429 with a plain `Retry-After` (seconds) and a sentence. */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throwThrottled(context, detail.timeToBlockExpire);
  }
}

/** The 429 of every auth limit: `Retry-After` in whole seconds (at least 1) and a sentence. */
export function throwThrottled(context: ExecutionContext, timeToBlockExpire: number): never {
  const seconds = Math.max(1, Math.ceil(timeToBlockExpire));
  context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(seconds));
  throw new ThrottlerException(`too many attempts; retry in ${seconds} s`);
}
