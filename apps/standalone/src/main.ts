import 'reflect-metadata';
import { runMain } from '@switchboard/core';
import { startStandaloneServer } from './bootstrap';

void runMain('standalone', async (config, logger) => {
  const gw = await startStandaloneServer(config, logger);
  return {
    port: gw.port,
    stop: gw.stop,
    describe: { websocket: `ws://${config.host}:${gw.port}/ws`, database: config.api.databaseUrl ? 'postgresql' : `pglite:${config.api.dataDir}` },
  };
});
