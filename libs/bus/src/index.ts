export * from './bus';
export * from './memory.bus';
export * from './redis.bus';
export * from './publish-to-user';
export * from './bus.factory';
