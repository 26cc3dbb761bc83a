import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Injectable, Module } from '@nestjs/common';
import { Logger as PinoNestLogger, LoggerModule } from 'nestjs-pino';
import pino from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type RootLogger = pino.Logger;

/** What never reaches a log line: credentials in headers, bodies, query strings and our own fields. */
const SECRET_FIELDS = [
  'password',
  'old_password',
  'new_password',
  'token',
  'access_token',
  'resume_token',
  'session_token',
  'api_key',
  'apiKey',
  'secret',
  'authorization',
  'cookie',
];
export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * A query parameter whose value is a credential, by its name as the server reads it:
 * percent-decoded, `+` as a space, any `[…]` suffix (`api_key[]`) and punctuation dropped,
 * any case — so `api%5Fkey`, `to%6Ben`, `API-Key` and `api_key[0]` are all caught.
 */
const SECRET_PARAM = /(?:token|key|password|passwd|secret|jwt|authorization|auth)$/;

/** Query-string credentials (`?api_key=`, `?token=`, however their names are written) replaced in a URL before it is logged. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0];
      return isSecretParam(name) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
}

function isSecretParam(raw: string): boolean {
  // Byte-wise decoding never throws on a malformed escape, and names that matter are ASCII.
  const name = raw.replace(/\+/g, ' ').replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return SECRET_PARAM.test(name.split('[', 1)[0].toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/**
 * The process's JSON logger (pino): one object per line, `{level, time, app, context?, msg, …}`
 * with the level as a word and an ISO time; errors and worse go to stderr, the rest to stdout.
 */
export function createLogger(app: string, level: LogLevel, stream?: pino.DestinationStream): RootLogger {
  const destination =
    stream ??
    pino.multistream(
      [
        { level: 'debug', stream: process.stdout },
        { level: 'error', stream: process.stderr },
      ],
      { dedupe: true },
    );
  return pino(
    {
      level,
      base: { app },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

/** Nest's start-up chatter: kept at debug so a normal start logs one line. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'WebSocketsController', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** nestjs-pino's Nest logger, with the framework's start-up lines demoted to debug. */
@Injectable()
export class NestLogger extends PinoNestLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) return super.debug(message, ...optionalParams);
    return super.log(message, ...optionalParams);
  }
}

/**
 * Probes and scrapes: logged at debug, not once every few seconds at info — a readiness 503
 * too (while the database opens, or the bus is down), which is a state, not an error:
 * `switchboard_ready` and `/health/ready`'s body say why.
 */
const QUIET_PATHS = /^\/(health\/|metrics(\?|$))/;
/** The error pino-http makes up for a 5xx without one: its stack points into pino-http, so it is left out. */
const STATUS_ONLY = /^failed with status code \d+$/;

@Module({})
class LoggingRootModule {}

/**
 * `root` with nestjs-pino: Nest's own logs go through `logger`, and every HTTP request gets
 * one line (`msg: "request completed"`, method, url without credentials, status, time) with
 * a request id (`X-Request-Id` taken from the client when sane, else a UUID, and echoed back).
 * Use with `bufferLogs: true` and `app.useLogger(app.get(NestLogger))`.
 */
export function withLogging(root: DynamicModule, logger: RootLogger): DynamicModule {
  return {
    module: LoggingRootModule,
    imports: [
      root,
      LoggerModule.forRoot({
        pinoHttp: {
          logger,
          genReqId: (req: IncomingMessage, res: ServerResponse) => {
            const given = req.headers['x-request-id'];
            const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
            res.setHeader('X-Request-Id', id);
            return id;
          },
          customLogLevel: (req: IncomingMessage, res: ServerResponse, err?: Error) =>
            !err && QUIET_PATHS.test(req.url ?? '') ? 'debug' : err || res.statusCode >= 500 ? 'error' : 'info',
          customProps: () => ({ context: 'http' }),
          serializers: {
            req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url), remote: req.remoteAddress }),
            res: (res: { statusCode: number }) => ({ status: res.statusCode }),
            err: (err: { type?: string; message: string; stack?: string }) => (STATUS_ONLY.test(err.message) ? { message: err.message } : err),
          },
        },
      }),
    ],
    providers: [NestLogger],
  };
}
