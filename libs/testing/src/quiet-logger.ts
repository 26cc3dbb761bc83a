import type { LoggerService } from '@nestjs/common';

/** A logger for tests: prints nothing; records debug lines in `debug` for the tests that check them. */
export function quietLogger(debug: string[] = []): LoggerService {
  return {
    log: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: (message: string) => void debug.push(message),
  };
}
