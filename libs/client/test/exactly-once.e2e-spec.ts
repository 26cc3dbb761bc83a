import { TestCluster } from './cluster';
import { exactlyOnceThroughReplicaLoss, nodePublisher } from './exactly-once';

/**
 * Acknowledged publishing in Node through a drain and a SIGKILL, on 3 real gateways and Redis
 * (the scenario: exactly-once.ts). The server dedups resent ids and the receivers resume their
 * room, so each message reaches each receiver once, in order.
 */
describe('exactly once through a drain and a SIGKILL (3 replicas, urls failover)', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    // History deep enough for a receiver away for a few seconds at 50 msg/s.
    cluster = await TestCluster.start(3, { WEBSOCKET_HISTORY_SIZE: '2000' });
  }, 60000);
  afterAll(async () => {
    await cluster.stop();
  });

  it('every publish resolves once; every receiver gets every message once, in order', async () => {
    await exactlyOnceThroughReplicaLoss(cluster, nodePublisher());
  }, 180_000);
});
