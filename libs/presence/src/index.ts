export * from './presence';
export * from './memory.presence';
export * from './redis.presence';
export * from './presence.factory';
