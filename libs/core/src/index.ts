export * from './core.module';
export * from './readiness';
export * from './health.controller';
export * from './run-main';
export * from './not-found.filter';
