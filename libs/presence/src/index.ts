export * from './presence';
export * from './memory.presence';
