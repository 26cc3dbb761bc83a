/** The api app, for the standalone server. */
export { ApiModule } from './api.module';
export { setupOpenApi } from './http/openapi';
