import type { INestApplication } from '@nestjs/common';
import type { SwitchboardConfig } from '@switchboard/config';
import { securityHeaders } from './security-headers';

/**
 * What every Switchboard HTTP server gets before any route, body parser or page: security
 * headers on every response (helmet; no `X-Powered-By`). Call right after
 * `NestFactory.create`, before `listen`.
 */
export function hardenHttp(app: INestApplication, _config: SwitchboardConfig): void {
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.use(securityHeaders);
}
