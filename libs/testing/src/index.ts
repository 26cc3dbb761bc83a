/** Test helpers shared by every app's tests and the bench: real Redis, real processes, real clients. */
export * from './client-bundle';
export * from './gateway-env';
export * from './gateway-process';
export * from './history';
export * from './metrics';
export * from './process-cluster';
export * from './quiet-logger';
export * from './raw-http';
export * from './redis-server';
export * from './rest';
export * from './resuming-client';
export * from './tcp-balancer';
export * from './token';
export * from './until';
export * from './frame-log';
export * from './sse-client';
export * from './ws-client';
