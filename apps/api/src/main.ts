import 'reflect-metadata';
import { runMain } from '@switchboard/core';
import { startApi } from './bootstrap';

void runMain('api', async (config, logger) => {
  const api = await startApi(config, logger);
  return { port: api.port, stop: () => api.app.close(), describe: { database: config.api.databaseUrl ? 'postgresql' : `pglite:${config.api.dataDir}` } };
});
