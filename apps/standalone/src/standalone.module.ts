import { type DynamicModule, Module } from '@nestjs/common';
import type { SwitchboardConfig } from '../../../libs/config/src';
import { CoreModule } from '../../../libs/core/src';
import { ApiModule } from '../../api/src/api.module';
import { GatewayModule } from '../../gateway/src/gateway.module';

/** Gateway and api in one process on one port, sharing one bus and presence: `npm start`. */
@Module({})
export class StandaloneModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    return { module: StandaloneModule, imports: [CoreModule.forRoot(config), GatewayModule, ApiModule.forRoot({ databaseInBackground: true })] };
  }
}
