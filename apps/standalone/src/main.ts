import 'reflect-metadata';
import { runMain } from '../../../libs/core/src';
import { startGateway } from '../../gateway/src/bootstrap';
import { StandaloneModule } from './standalone.module';

void runMain('standalone', async (config, logger) => {
  const gw = await startGateway(config, logger, StandaloneModule.forRoot(config));
  return {
    port: gw.port,
    stop: gw.stop,
    describe: { websocket: `ws://${config.host}:${gw.port}/ws`, database: config.api.databaseUrl ? 'postgresql' : `pglite:${config.api.dataDir}` },
  };
});
