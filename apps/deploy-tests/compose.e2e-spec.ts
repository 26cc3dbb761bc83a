import { ConfigError, loadConfig } from '@switchboard/config';
import { appServices, commandOf, type ComposeFile, dependsOn, interpolate, loadCompose, rawCompose, serviceEnv } from './testing/compose';
import { knownVariables, TEST_SECRETS } from './testing/env';
import { entrySource, repoFileExists, repoPath } from './testing/files';
import { child, children, loadNginx } from './testing/nginx';

/**
 * docker-compose.yml, checked as `docker compose up` would use it: parsed, interpolated
 * with an operator's .env, and every app's environment run through the real config loader.
 */
describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  beforeAll(() => {
    compose = loadCompose({ ...TEST_SECRETS });
  });

  it('interpolates like compose does', () => {
    expect(interpolate('a${X}b$$c${Y:-dflt}${Z-z}${E:-e}${E-e2}', { X: '1', E: '' })).toBe('a1b$cdfltze');
    expect(() => interpolate('${S:?give S}', {})).toThrow(/S.*give S/);
    expect(() => interpolate('${S:?give S}', { S: '' })).toThrow(/S/);
  });

  it('runs redis, postgres, the api, three gateway replicas and nginx', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['redis', 'postgres', 'api', 'nginx']));
    expect(appServices(compose, 'gateway')).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
    expect(appServices(compose, 'api')).toEqual(['api']);
    expect(compose.services.redis.image).toMatch(/^redis:/);
    expect(compose.services.postgres.image).toMatch(/^postgres:/);
    expect(compose.services.nginx.image).toMatch(/^nginx:/);
  });

  it('starts every app from the image with an entry point that exists', () => {
    for (const name of [...appServices(compose, 'gateway'), ...appServices(compose, 'api')]) {
      const s = compose.services[name];
      expect({ name, build: s.build }).toEqual({ name, build: expect.anything() });
      const source = entrySource(commandOf(s));
      expect(source && repoFileExists(source)).toBeTruthy();
    }
  });

  it('refuses to start without the secrets, and commits none', () => {
    expect(() => loadCompose({ POSTGRES_PASSWORD: TEST_SECRETS.POSTGRES_PASSWORD })).toThrow(/JWT_SECRET/);
    expect(() => loadCompose({ JWT_SECRET: TEST_SECRETS.JWT_SECRET })).toThrow(/POSTGRES_PASSWORD/);
    const raw = rawCompose();
    for (const [name, s] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(serviceEnv(s))) {
        if (/SECRET|PASSWORD|PRIVATE_KEY/.test(key)) expect({ name, key, value }).toEqual({ name, key, value: expect.stringMatching(/^\$\{[A-Z_]+:\?[^}]+\}$/) });
        if (key === 'DATABASE_URL') expect(value).toContain('${POSTGRES_PASSWORD:?');
      }
    }
  });

  it.each(['gateway-1', 'gateway-2', 'gateway-3', 'api'])('%s: its environment passes the config loader, in cluster mode on the redis service', (name) => {
    const env = serviceEnv(compose.services[name]);
    let config!: ReturnType<typeof loadConfig>;
    expect(() => (config = loadConfig(env))).not.toThrow();
    expect(config.bus.kind).toBe('redis');
    expect(new URL(config.bus.redisUrl).hostname).toBe('redis');
    expect(config.auth.ephemeralSecret).toBe(false);
    expect(config.auth.jwtSecret).toBe(TEST_SECRETS.JWT_SECRET);
    expect(config.host).toBe('0.0.0.0');
    expect(dependsOn(compose.services[name]).redis).toBe('service_healthy');
  });

  it('sets only variables the config loader knows (a misspelt one would silently keep its default)', () => {
    const known = knownVariables();
    expect(known).toContain('WEBSOCKET_DRAIN_TIMEOUT');
    for (const name of [...appServices(compose, 'gateway'), ...appServices(compose, 'api')]) {
      const unknown = Object.keys(serviceEnv(compose.services[name])).filter((k) => !known.has(k));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  it('a bad value an operator puts in .env stops start-up naming the variable', () => {
    const bad = loadCompose({ ...TEST_SECRETS, JWT_SECRET: 'too-short' });
    expect(() => loadConfig(serviceEnv(bad.services['gateway-1']))).toThrow(ConfigError);
    expect(() => loadConfig(serviceEnv(bad.services['gateway-1']))).toThrow(/JWT_SECRET/);
  });

  it('the api stores in the postgres service with its credentials', () => {
    const config = loadConfig(serviceEnv(compose.services.api));
    const url = new URL(config.api.databaseUrl!);
    const pg = serviceEnv(compose.services.postgres);
    expect(url.hostname).toBe('postgres');
    expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(dependsOn(compose.services.api).postgres).toBe('service_healthy');
  });

  it('health-checks every app on /health/ready at its port, and drains within the stop grace period', () => {
    for (const name of [...appServices(compose, 'gateway'), 'api']) {
      const s = compose.services[name];
      const config = loadConfig(serviceEnv(s));
      const test = [s.healthcheck?.test].flat().join(' ');
      expect(test).toContain(`http://127.0.0.1:${config.port}/health/ready`);
      // `docker compose stop` sends SIGTERM, then SIGKILL after stop_grace_period (default 10s).
      const grace = parseComposeDuration(s.stop_grace_period ?? '10s');
      expect({ name, grace }).toEqual({ name, grace: expect.any(Number) });
      expect(grace).toBeGreaterThanOrEqual(config.ws.drainTimeoutMs + 5000);
    }
    expect([compose.services.redis.healthcheck?.test].flat().join(' ')).toContain('ping');
    expect([compose.services.postgres.healthcheck?.test].flat().join(' ')).toContain('pg_isready');
  });

  it('every gateway shares one JWT secret with the api (tokens from /auth/login work on every replica)', () => {
    const secrets = new Set([...appServices(compose, 'gateway'), 'api'].map((n) => loadConfig(serviceEnv(compose.services[n])).auth.jwtSecret));
    expect(secrets.size).toBe(1);
  });

  it('is secure by default: gateways need a credential and an explicit origin list, the api closes its stats', () => {
    for (const name of appServices(compose, 'gateway')) {
      const config = loadConfig(serviceEnv(compose.services[name]));
      expect({ name, requireAuth: config.ws.requireAuth }).toEqual({ name, requireAuth: true });
      expect(config.ws.allowedOrigins).not.toContain('*');
      expect(config.ws.allowedOrigins.length).toBeGreaterThan(0);
      // One address, one user: a cap below the replica's, so neither can take every slot.
      expect(config.ws.maxConnectionsPerIp).toBeGreaterThan(0);
      expect(config.ws.maxConnectionsPerIp).toBeLessThan(config.ws.maxConnections);
      expect(config.ws.maxConnectionsPerUser).toBeGreaterThan(0);
    }
    expect(loadConfig(serviceEnv(compose.services.api)).api.statsRequireAuth).toBe(true);
  });

  it('gateways trust X-Forwarded-For only because nginx is their sole entry (no published ports)', () => {
    for (const name of appServices(compose, 'gateway')) {
      expect(loadConfig(serviceEnv(compose.services[name])).trustProxy).toBe(true);
      expect(compose.services[name].ports ?? []).toEqual([]);
    }
    expect(compose.services.api.ports ?? []).toEqual([]);
  });

  it('nginx publishes 443 (and 80), mounts the committed config and certs where nginx.conf expects them, and waits for healthy backends', () => {
    const nginx = compose.services.nginx;
    const ports = (nginx.ports ?? []).map(String);
    expect(ports.some((p) => /:443$/.test(p))).toBe(true);
    const mounts = Object.fromEntries(
      (nginx.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':') : [v.source!, v.target])).map(([src, target]) => [target, src]),
    );
    expect(mounts['/etc/nginx/nginx.conf']).toBe('./deploy/nginx/nginx.conf');
    // nginx.conf includes and loads these relative to /etc/nginx.
    const conf = loadNginx(repoPath('deploy', 'nginx', 'nginx.conf'));
    const tls = children(child(conf, 'http').block, 'server').find((s) => children(s.block, 'listen').some((l) => l.args.includes('ssl')))!;
    expect(child(tls.block, 'ssl_certificate').args[0]).toBe('certs/tls.crt');
    expect(child(tls.block, 'ssl_certificate_key').args[0]).toBe('certs/tls.key');
    expect(mounts['/etc/nginx/certs']).toBe('./deploy/nginx/certs');
    expect(mounts['/etc/nginx/switchboard-routes.conf']).toBe('./deploy/nginx/switchboard-routes.conf');
    for (const src of Object.values(mounts)) expect(repoFileExists(src)).toBe(true);
    const deps = dependsOn(nginx);
    for (const name of [...appServices(compose, 'gateway'), 'api']) expect({ name, condition: deps[name] }).toEqual({ name, condition: 'service_healthy' });
  });

  it('nginx upstreams are exactly the compose gateways and api, on their configured port', () => {
    const http = child(loadNginx(repoPath('deploy', 'nginx', 'nginx.conf')), 'http').block;
    const upstream = (name: string) => children(children(http, 'upstream').find((u) => u.args[0] === name)?.block, 'server').map((s) => s.args[0]);
    const at = (name: string) => `${name}:${loadConfig(serviceEnv(compose.services[name])).port}`;
    expect(upstream('switchboard_gateway').sort()).toEqual(appServices(compose, 'gateway').map(at));
    expect(upstream('switchboard_api')).toEqual([at('api')]);
  });
});

/** Compose durations: `1m30s`, `20s`, `500ms`. */
function parseComposeDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]];
  return total;
}
