import type { LoggerService, LogLevel } from '@nestjs/common';

const ORDER: Record<string, number> = { debug: 0, verbose: 0, log: 1, info: 1, warn: 2, error: 3, fatal: 4 };

/** Nest's start-up chatter: kept at debug so a normal start logs one line. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'WebSocketsController', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Structured JSON logs, one object per line on stdout (errors on stderr). */
export class JsonLogger implements LoggerService {
  private readonly min: number;

  constructor(
    level: 'debug' | 'info' | 'warn' | 'error' = 'info',
    private readonly base: Record<string, unknown> = {},
  ) {
    this.min = ORDER[level];
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }
  setLogLevels(_levels: LogLevel[]): void {}

  private write(level: string, message: unknown, rest: unknown[]): void {
    // Nest passes the context (class name) as the last string argument.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'info' && context !== undefined && FRAMEWORK_CONTEXTS.has(context)) level = 'debug';
    if (ORDER[level] < this.min) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, ...this.base };
    if (context) entry.context = context;
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.stack = message.stack;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(entry, message);
    } else {
      entry.msg = String(message);
    }
    for (const extra of rest) {
      if (typeof extra === 'string') entry.stack = extra;
      else if (typeof extra === 'object' && extra !== null) Object.assign(entry, extra);
    }
    const line = JSON.stringify(entry) + '\n';
    if (ORDER[level] >= ORDER.error) process.stderr.write(line);
    else process.stdout.write(line);
  }
}
