import * as http from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';

/**
 * Express, with the HTTP server created so that its sockets use WEBSOCKET_READ_BUFFER_SIZE
 * as their high-water mark (Node ≥ 20.1 `highWaterMark` server option).
 */
export class TunedExpressAdapter extends ExpressAdapter {
  constructor(private readonly highWaterMark: number) {
    super();
  }

  override initHttpServer(options: { httpsOptions?: unknown; forceCloseConnections?: boolean }): void {
    if (options?.httpsOptions) return super.initHttpServer(options as never);
    this.httpServer = http.createServer({ highWaterMark: this.highWaterMark }, this.getInstance());
  }
}
