export * from './core.module';
export * from './readiness';
export * from './health.controller';
export * from './run-main';
export * from './http-hardening';
export * from './not-found.filter';
export * from './pending-bodies';
export * from './security-headers';
