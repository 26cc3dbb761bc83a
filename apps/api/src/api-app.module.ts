import { type DynamicModule, Module } from '@nestjs/common';
import type { SwitchboardConfig } from '@switchboard/config';
import { CoreModule } from '@switchboard/core';
import { ApiModule } from './api.module';

/** The api as its own process: `node dist/apps/api/main.js`. */
@Module({})
export class ApiAppModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    return { module: ApiAppModule, imports: [CoreModule.forRoot(config), ApiModule.forRoot()] };
  }
}
