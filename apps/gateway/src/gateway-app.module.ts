import { type DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '../../../libs/core/src';
import type { SwitchboardConfig } from '../../../libs/config/src';
import { GatewayModule } from './gateway.module';

/** The gateway as its own process: `node dist/apps/gateway/main.js`. */
@Module({})
export class GatewayAppModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    return { module: GatewayAppModule, imports: [CoreModule.forRoot(config), GatewayModule] };
  }
}
