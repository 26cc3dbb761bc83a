import { type DynamicModule, Module } from '@nestjs/common';
import type { SwitchboardConfig } from '@switchboard/config';
import { CoreModule } from '@switchboard/core';
import { ApiModule } from '@switchboard/api';
import { GatewayModule } from '@switchboard/gateway';

/** Gateway and api in one process on one port, sharing one bus and presence: `npm start`. */
@Module({})
export class StandaloneModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    return { module: StandaloneModule, imports: [CoreModule.forRoot(config), GatewayModule, ApiModule.forRoot({ databaseInBackground: true })] };
  }
}
