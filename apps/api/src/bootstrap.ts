import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { SwitchboardConfig } from '@switchboard/config';
import { hardenHttp } from '@switchboard/core';
import { NestLogger, type RootLogger, withLogging } from '@switchboard/observability';
import { ApiAppModule } from './api-app.module';
import { setupOpenApi } from './http/openapi';

export interface RunningApi {
  app: INestApplication;
  port: number;
}

/** Builds and starts the api on `config.port` (0 picks a free port). */
export async function startApi(config: SwitchboardConfig, logger: RootLogger | false): Promise<RunningApi> {
  const root = ApiAppModule.forRoot(config);
  const app = await NestFactory.create(logger ? withLogging(root, logger) : root, { logger: logger ? undefined : false, bufferLogs: Boolean(logger) });
  if (logger) app.useLogger(app.get(NestLogger));
  hardenHttp(app, config);
  setupOpenApi(app);
  await app.listen(config.port, config.host);
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}
