import type { SwitchboardConfig } from '@switchboard/config';
import { redisTarget } from '@switchboard/redis';
import type { CredentialDirectory } from './credential-directory';
import { MemoryCredentialDirectory } from './memory.credential-directory';
import { RedisCredentialDirectory, type RedisCredentialDirectoryOptions } from './redis.credential-directory';

/**
 * Picks the directory that matches the bus; revocations are kept as long as the api's tokens live.
 * `onDropped` counts malformed changes from the wire, `onError` Redis failures.
 */
export function createCredentialDirectory(
  config: SwitchboardConfig,
  { onDropped, onError }: Pick<RedisCredentialDirectoryOptions, 'onDropped' | 'onError'> = {},
): CredentialDirectory {
  const retentionMs = config.api.tokenTtlMs;
  if (config.bus.kind === 'memory') return new MemoryCredentialDirectory(retentionMs);
  return new RedisCredentialDirectory({
    retentionMs,
    ...redisTarget(config.bus),
    onDropped,
    onError,
  });
}
