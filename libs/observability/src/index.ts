export * from './metrics';
export * from './logger';
export * from './metrics.controller';
export * from './log-coalescer';
