export * from './config';
export * from './config-error';
export * from './config.module';
export * from './duration';
