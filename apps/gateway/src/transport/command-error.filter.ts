import { type ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import { CommandError, ErrorCode } from '@switchboard/protocol';
import type { Connection } from './connection';

/**
 * Turns what a gateway handler throws into an `error` frame on the asking connection:
 * a CommandError keeps its code and text; anything else is logged with context and the
 * client hears only that the request failed. The frame names the command it answers
 * (`re`). The connection stays open either way.
 */
@Catch()
export class CommandErrorFilter implements WsExceptionFilter {
  private readonly logger = new Logger('Gateway');

  catch(err: unknown, host: ArgumentsHost): void {
    const conn = host.switchToWs().getClient<Connection>();
    if (err instanceof CommandError) return conn.refuse(err.code, err.message);
    this.logger.error({ msg: 'command failed', client: conn.id, error: (err as Error)?.message, stack: (err as Error)?.stack });
    conn.refuse(ErrorCode.Internal, 'internal error; the request was not completed');
  }
}
