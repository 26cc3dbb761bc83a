import type { SwitchboardConfig } from '@switchboard/config';
import type { RootLogger } from '@switchboard/observability';
import { setupOpenApi } from '@switchboard/api';
import { type RunningGateway, startGateway } from '@switchboard/gateway';
import { StandaloneModule } from './standalone.module';

/** Builds and starts the standalone server (gateway and api on one port) on `config.port`. */
export function startStandaloneServer(config: SwitchboardConfig, logger: RootLogger | false): Promise<RunningGateway> {
  return startGateway(config, logger, StandaloneModule.forRoot(config), setupOpenApi);
}
