import { type DynamicModule, Module } from '@nestjs/common';
import type { SwitchboardConfig } from '../../../libs/config/src';
import { CoreModule } from '../../../libs/core/src';
import { ApiModule } from './api.module';

/** The api as its own process: `node dist/apps/api/main.js`. */
@Module({})
export class ApiAppModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    return { module: ApiAppModule, imports: [CoreModule.forRoot(config), ApiModule.forRoot()] };
  }
}
