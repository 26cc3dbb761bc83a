import { MemoryPresence, MemoryPresenceStore } from './memory.presence';
import { presenceContract } from './testing/presence.contract';

presenceContract('memory', async (n, ttlMs) => {
  const store = new MemoryPresenceStore();
  const nodes = Array.from({ length: n }, () => new MemoryPresence(ttlMs, store));
  return { nodes, close: async () => undefined };
});
