export { default as keySlot } from 'cluster-key-slot';
export * from './redis-client';
