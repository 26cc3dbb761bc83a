import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CoreModule, NotFoundFilter } from '@switchboard/core';
import type { SwitchboardConfig } from '@switchboard/config';
import { GatewayModule } from './gateway.module';

/** The gateway as its own process: `node dist/apps/gateway/main.js`. */
@Module({})
export class GatewayAppModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    // A 404's body names the path, never the query string (it may hold ?token=).
    return { module: GatewayAppModule, imports: [CoreModule.forRoot(config), GatewayModule], providers: [{ provide: APP_FILTER, useClass: NotFoundFilter }] };
  }
}
