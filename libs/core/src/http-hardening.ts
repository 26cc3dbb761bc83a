import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { HttpConfig, SwitchboardConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import { PendingBodies } from './pending-bodies';
import { securityHeaders } from './security-headers';

/**
 * What every Switchboard HTTP server gets before any route, body parser or page: security
 * headers on every response (helmet; no `X-Powered-By`), Node's header and request timeouts
 * (HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT), and the per-IP cap on bodies still arriving
 * (HTTP_MAX_PENDING_BODIES_PER_IP). Call right after `NestFactory.create`, before `listen`.
 * A WebSocket stops being a request at its upgrade: the request timeout never closes one.
 */
export function hardenHttp(app: INestApplication, config: SwitchboardConfig): PendingBodies {
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.use(securityHeaders);
  const metrics = app.get(Metrics);
  const bodies = new PendingBodies({
    max: config.http.maxPendingBodiesPerIp,
    trustProxy: config.trustProxy,
    onRefused: () => metrics.httpRefused.labels('pending_bodies_per_ip').inc(),
  });
  app.use(bodies.middleware);
  applyTimeouts(app.getHttpServer(), config.http);
  return bodies;
}

/**
 * Node checks both timeouts every `connectionsCheckingInterval` (30 s by default, so a 10 s
 * timeout could take 40 s): check ten times per the shorter one, between every 100 ms and 1 s.
 * The interval is read when the server starts listening.
 */
function applyTimeouts(server: Server & { connectionsCheckingInterval?: number }, http: HttpConfig): void {
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = http.requestTimeoutMs;
  server.connectionsCheckingInterval = Math.min(1000, Math.max(100, Math.floor(Math.min(http.headersTimeoutMs, http.requestTimeoutMs) / 10)));
}
