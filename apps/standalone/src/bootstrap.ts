import type { SwitchboardConfig } from '../../../libs/config/src';
import type { RootLogger } from '../../../libs/observability/src';
import { setupOpenApi } from '../../api/src/http/openapi';
import { type RunningGateway, startGateway } from '../../gateway/src/bootstrap';
import { StandaloneModule } from './standalone.module';

/** Builds and starts the standalone server (gateway and api on one port) on `config.port`. */
export function startStandaloneServer(config: SwitchboardConfig, logger: RootLogger | false): Promise<RunningGateway> {
  return startGateway(config, logger, StandaloneModule.forRoot(config), setupOpenApi);
}
