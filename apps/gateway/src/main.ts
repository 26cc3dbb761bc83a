import 'reflect-metadata';
import { ConfigError, loadConfig } from '../../../libs/config/src';
import { JsonLogger } from '../../../libs/observability/src';
import { startGateway } from './bootstrap';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: err.message, variable: err.variable })}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = new JsonLogger(config.logLevel, { app: 'gateway' });
  const { port, app, stop } = await startGateway(config, logger);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: `${signal}: stopping`, signal });
    stop().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ msg: 'stop failed', error: err.message });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const hub = app.get((await import('./hub/hub.service')).HubService);
  logger.log({
    msg: `Switchboard gateway listening on http://${config.host}:${port} (WebSocket: ws://${config.host}:${port}/ws)`,
    port,
    node: hub.nodeId,
    bus: config.bus.kind,
    jwt: config.auth.ephemeralSecret ? 'ephemeral secret (set JWT_SECRET to accept real tokens)' : config.auth.jwtPublicKey ? 'public key' : 'JWT_SECRET',
  });
}

main().catch((err: Error) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'start-up failed', error: err.message, stack: err.stack })}\n`);
  process.exit(1);
});
