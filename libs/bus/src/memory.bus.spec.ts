import { MemoryBroker, MemoryBus } from './memory.bus';
import { busContract } from './testing/bus.contract';

busContract('memory', async (n, history) => {
  const broker = new MemoryBroker(history);
  const nodes = Array.from({ length: n }, () => new MemoryBus(broker));
  return {
    nodes,
    close: async () => void (await Promise.all(nodes.map((b) => b.close()))),
    loseHistory: async () => broker.loseHistory(),
  };
});
