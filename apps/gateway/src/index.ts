/** The gateway app, for the standalone server and tests that start it in process. */
export { type RunningGateway, startGateway } from './bootstrap';
export { GatewayModule } from './gateway.module';
