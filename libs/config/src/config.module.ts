import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { SwitchboardConfig } from './config';

/** Injection token for the typed configuration. */
export const CONFIG = Symbol('SWITCHBOARD_CONFIG');

/** Provides the configuration loaded once in main.ts (so a bad value fails before Nest starts). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: SwitchboardConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: CONFIG, useValue: config }], exports: [CONFIG] };
  }
}
