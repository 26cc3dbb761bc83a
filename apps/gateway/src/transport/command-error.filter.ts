import { type ArgumentsHost, Catch, type WsExceptionFilter } from '@nestjs/common';
import type { Connection } from './connection';

/**
 * Turns what a gateway handler throws into an `error` frame on the asking connection, the
 * way the connection answers a failed command (`Connection.fail`): a CommandError keeps its
 * code and text; anything else is logged with context and the client hears only that the
 * request failed. The connection stays open either way.
 */
@Catch()
export class CommandErrorFilter implements WsExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    host.switchToWs().getClient<Connection>().fail(err);
  }
}
