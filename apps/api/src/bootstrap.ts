import type { AddressInfo } from 'node:net';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { SwitchboardConfig } from '../../../libs/config/src';
import { ApiAppModule } from './api-app.module';
import { setupOpenApi } from './http/openapi';

export interface RunningApi {
  app: INestApplication;
  port: number;
}

/** Builds and starts the api on `config.port` (0 picks a free port). */
export async function startApi(config: SwitchboardConfig, logger: LoggerService | false): Promise<RunningApi> {
  const app = await NestFactory.create(ApiAppModule.forRoot(config), { logger });
  setupOpenApi(app);
  await app.listen(config.port, config.host);
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}
