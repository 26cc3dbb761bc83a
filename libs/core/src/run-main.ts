import { ConfigError, loadConfig, type SwitchboardConfig } from '@switchboard/config';
import { createLogger, type RootLogger } from '@switchboard/observability';

/**
 * The shared `main` of every Switchboard process: load the config (exit 2 naming a bad
 * variable), start, log one line saying where it listens, stop cleanly on SIGTERM/SIGINT.
 */
export async function runMain(
  name: string,
  start: (config: SwitchboardConfig, logger: RootLogger) => Promise<{ port: number; stop(): Promise<void>; describe?: Record<string, unknown> }>,
): Promise<void> {
  let config: SwitchboardConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', app: name, msg: err.message, variable: err.variable })}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(name, config.logLevel);
  try {
    const running = await start(config, logger);
    // At info like every start-up line: LOG_LEVEL=warn or error leaves it out (wait for /health/live instead).
    logger.info({
      msg: `Switchboard ${name} listening on http://${config.host}:${running.port}`,
      port: running.port,
      bus: config.bus.kind,
      jwt: config.auth.ephemeralSecret ? 'ephemeral secret (set JWT_SECRET to accept outside tokens)' : config.auth.jwtPublicKey ? 'public key' : 'JWT_SECRET',
      ...running.describe,
    });
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ msg: `${signal}: stopping`, signal });
      running.stop().then(
        () => process.exit(0),
        (err: Error) => {
          logger.error({ msg: 'stop failed', error: err.message });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', app: name, msg: 'start-up failed', error: e.message, stack: e.stack })}\n`);
    process.exit(1);
  }
}
