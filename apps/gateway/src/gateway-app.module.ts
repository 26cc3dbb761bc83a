import { type DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@switchboard/core';
import type { SwitchboardConfig } from '@switchboard/config';
import { GatewayModule } from './gateway.module';

/** The gateway as its own process: `node dist/apps/gateway/main.js`. */
@Module({})
export class GatewayAppModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    return { module: GatewayAppModule, imports: [CoreModule.forRoot(config), GatewayModule] };
  }
}
