import type { AddressInfo } from 'node:net';
import { type DynamicModule, type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { SwitchboardConfig } from '@switchboard/config';
import { hardenHttp } from '@switchboard/core';
import { Metrics, NestLogger, type RootLogger, withLogging } from '@switchboard/observability';
import { type ErrorCode, MAX_PUBLISH_ID_LENGTH } from '@switchboard/protocol';
import { DIALECTS } from './dialects';
import { GatewayAppModule } from './gateway-app.module';
import { ClientIdsService } from './cluster/client-ids.service';
import { TunedExpressAdapter } from './transport/tuned-express.adapter';
import { DrainService } from './transport/drain.service';
import { HandshakeService } from './transport/handshake.service';
import { HeartbeatService } from './transport/heartbeat.service';
import { TokenExpiryService } from './transport/token-expiry.service';
import { PendingHandshakes } from './transport/pending-handshakes';
import type { Connection, ConnectionContext } from './transport/connection';
import type { SessionFrames } from './transport/frame-intake';
import { SwitchboardWsAdapter } from './transport/switchboard-ws.adapter';
import { FlowControl } from './transport/flow-control';
import { SseEndpoint } from './transport/sse/sse.endpoint';
import { UPLINK_RELAY } from './transport/sse/uplink-relay';
import { WriteBatcher } from './transport/write-batcher';

export interface RunningGateway {
  app: INestApplication;
  port: number;
  /** Drains (1012 over the drain window), then closes the app. */
  stop(): Promise<void>;
}

/**
 * Builds and starts a gateway on `config.port` (0 picks a free port). `root` is the app
 * module: the gateway alone by default, or the standalone server (gateway and api);
 * `prepare` adds to the app before it listens (the standalone's API docs).
 */
export async function startGateway(
  config: SwitchboardConfig,
  logger: RootLogger | false,
  root: DynamicModule = GatewayAppModule.forRoot(config),
  prepare?: (app: INestApplication) => void,
): Promise<RunningGateway> {
  const app = await NestFactory.create(logger ? withLogging(root, logger) : root, new TunedExpressAdapter(config.ws.readBufferSize), {
    logger: logger ? undefined : false,
    bufferLogs: Boolean(logger),
  });
  if (logger) app.useLogger(app.get(NestLogger));
  hardenHttp(app, config);
  const log = new Logger('Gateway');
  const metrics = app.get(Metrics);
  const ids = app.get(ClientIdsService);
  const heartbeat = app.get(HeartbeatService);
  const maxMessageSize = (path: string) => DIALECTS.find((d) => d.path === path)?.maxMessageSize?.(config) ?? config.ws.maxMessageSize;
  const nextConnectionId = () => ids.next()?.toString();
  const context: ConnectionContext = {
    batcher: new WriteBatcher(config.ws.writeDelayMs, config.ws.noticeDelayMs),
    flow: app.get(FlowControl),
    maxPendingBytes: config.ws.maxPendingBytes,
    messageRate: config.limits.messageRate,
    messageBurst: config.limits.messageBurst,
    rateLimitStrikes: config.limits.rateLimitStrikes,
    costs: { ...config.limits.frameCosts, replyRate: config.limits.replyRate, replyBurst: config.limits.replyBurst },
    onErrorFrame: (code: ErrorCode) => metrics.errors.labels(code).inc(),
    onInternalError: (err, conn) => {
      log.error({ msg: 'command failed', client: conn.id, transport: conn.transport, error: (err as Error).message, stack: (err as Error).stack });
    },
  };
  const handshake = app.get(HandshakeService);
  const expiry = app.get(TokenExpiryService);
  const session: SessionFrames = {
    refresh: (conn, token) => expiry.refresh(conn, token),
    limits: (conn) => ({
      maxMessageSize: DIALECTS.find((d) => d.codec === conn.codec)?.maxMessageSize?.(config) ?? config.ws.maxMessageSize,
      messageRate: config.limits.messageRate,
      messageBurst: config.limits.messageBurst,
      maxPublishIdLength: MAX_PUBLISH_ID_LENGTH,
      publishDedupWindowMs: config.ws.publishDedupWindowMs,
      joinCost: config.limits.frameCosts.join,
      resumeCost: config.limits.frameCosts.resume,
      userListCost: config.limits.frameCosts.userList,
    }),
  };
  const opened = (conn: Connection) => {
    heartbeat.welcome(conn);
    expiry.opened(conn);
    // Before anything the dialect sends (welcome, the join confirmation of the path's room).
    if (conn.wantsLimits) conn.reply({ kind: 'limits', limits: session.limits(conn) });
  };
  const adapter = new SwitchboardWsAdapter(app, { handshake, metrics, maxMessageSize, nextConnectionId, opened, ended: (conn) => expiry.closed(conn), session, context });
  app.useWebSocketAdapter(adapter);
  // Before Nest's own middleware and routes: SSE streams and uplinks are not REST requests.
  const sse = new SseEndpoint({ handshake, connections: adapter, relay: app.get(UPLINK_RELAY), dialects: DIALECTS, metrics, context, flow: context.flow, maxMessageSize, nextConnectionId });
  app.use(sse.handle);
  prepare?.(app);
  new PendingHandshakes(app.getHttpServer(), {
    timeoutMs: config.ws.handshakeTimeoutMs,
    perAddress: config.trustProxy ? 0 : config.limits.connectBurst,
    onCut: (status) => metrics.refused.labels(String(status), 'unknown').inc(),
  });
  await app.listen(config.port, config.host);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const stop = async () => {
    await app.get(DrainService).drain();
    sse.close();
    await app.close();
  };
  return { app, port, stop };
}
