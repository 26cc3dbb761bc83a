import 'reflect-metadata';
import { runMain } from '@switchboard/core';
import { startGateway } from './bootstrap';
import { ClusterNode } from './cluster/cluster-node';

void runMain('gateway', async (config, logger) => {
  const gw = await startGateway(config, logger);
  return { port: gw.port, stop: gw.stop, describe: { node: gw.app.get(ClusterNode).nodeId, websocket: `ws://${config.host}:${gw.port}/ws` } };
});
