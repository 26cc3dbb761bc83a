import { execFileSync } from 'node:child_process';
import { loadConfig } from '@switchboard/config';
import { appServices, loadCompose, serviceEnv } from './testing/compose';
import { TEST_SECRETS } from './testing/env';
import { type Destination, repoPath, ROUTES } from './testing/files';
import { child, children, type Directive, loadNginx, matchLocation, nginxDurationMs, proxyHeaders } from './testing/nginx';

/**
 * deploy/nginx/nginx.conf (+ switchboard-routes.conf), read with nginx's own location rules.
 * edge.e2e-spec.ts then runs the same files in a real nginx.
 */
describe('deploy/nginx: the compose edge', () => {
  let http: Directive[];
  let tls: Directive[];
  let plain: Directive[];
  beforeAll(() => {
    http = child(loadNginx(repoPath('deploy', 'nginx', 'nginx.conf')), 'http').block!;
    const servers = children(http, 'server');
    const listens = (s: Directive) => children(s.block, 'listen').map((l) => l.args.join(' '));
    tls = servers.find((s) => listens(s).some((l) => /^443 ssl/.test(l)))!.block!;
    plain = servers.find((s) => listens(s).some((l) => /^80\b/.test(l)))!.block!;
  });

  const destination = (path: string): Destination => {
    const loc = matchLocation(tls, path);
    const pass = child(loc?.block, 'proxy_pass')?.args[0];
    if (pass === 'http://switchboard_gateway') return 'gateway';
    if (pass === 'http://switchboard_api') return 'api';
    if (pass === undefined && child(loc?.block, 'return')?.args[0] === '404') return 'none';
    throw new Error(`${path}: location ${loc?.args.join(' ')} neither proxies to a known upstream nor answers 404`);
  };

  it.each(ROUTES.gateway)('%s (WebSocket or SSE) goes to the gateways', (path) => expect(destination(path)).toBe('gateway'));
  it.each(ROUTES.api)('%s (REST) goes to the api', (path) => expect(destination(path)).toBe('api'));
  it.each(ROUTES.none)('%s is not published (404 at the edge)', (path) => expect(destination(path)).toBe('none'));

  it('proxies WebSocket upgrades: HTTP/1.1, Upgrade and Connection passed, X-Forwarded-For set by nginx alone', () => {
    const loc = matchLocation(tls, '/ws')!;
    expect(child(loc.block, 'proxy_http_version').args).toEqual(['1.1']);
    const headers = proxyHeaders(loc);
    expect(headers.upgrade).toBe('$http_upgrade');
    expect(headers.connection).toBe('$connection_upgrade');
    // The gateway (TRUST_PROXY=true) takes the FIRST X-Forwarded-For entry: appending
    // ($proxy_add_x_forwarded_for) would let a client pick its own rate-limit key.
    expect(headers['x-forwarded-for']).toBe('$remote_addr');
    expect(headers['x-forwarded-proto']).toBe('$scheme');
    const map = children(http, 'map').find((m) => m.args[1] === '$connection_upgrade')!;
    expect(map.args[0]).toBe('$http_upgrade');
    expect(Object.fromEntries(map.block!.map((d) => [d.name, d.args[0]]))).toEqual({ default: 'upgrade', '': 'close' });
  });

  it('keeps idle WebSockets open: read/send timeouts far above the gateways\' ping period', () => {
    const compose = loadCompose({ ...TEST_SECRETS });
    const pingMs = Math.max(...appServices(compose, 'gateway').map((n) => loadConfig(serviceEnv(compose.services[n])).ws.pingPeriodMs));
    const loc = matchLocation(tls, '/ws/lobby')!;
    for (const d of ['proxy_read_timeout', 'proxy_send_timeout']) {
      expect({ d, ms: nginxDurationMs(child(loc.block, d).args[0]) }).toEqual({ d, ms: expect.any(Number) });
      expect(nginxDurationMs(child(loc.block, d).args[0])).toBeGreaterThanOrEqual(10 * pingMs);
    }
    expect(child(loc.block, 'proxy_buffering').args).toEqual(['off']);
  });

  it('streams SSE: no Upgrade passed on, no buffering, cache or gzip, timeouts far above the ping period, room for uplink bodies, no affinity', () => {
    const compose = loadCompose({ ...TEST_SECRETS });
    const config = loadConfig(serviceEnv(compose.services[appServices(compose, 'gateway')[0]]));
    for (const path of ['/sse/ws/lobby', '/sse/session/abc']) {
      const loc = matchLocation(tls, path)!;
      expect(loc.args).toEqual(['^~', '/sse/']);
      const headers = proxyHeaders(loc);
      expect(headers.upgrade).toBeUndefined();
      expect(headers.connection).toBe('');
      expect(headers['x-forwarded-for']).toBe('$remote_addr');
      for (const [d, v] of [['proxy_buffering', 'off'], ['proxy_cache', 'off'], ['gzip', 'off'], ['proxy_http_version', '1.1']]) expect({ d, v: child(loc.block, d)?.args[0] }).toEqual({ d, v });
      for (const d of ['proxy_read_timeout', 'proxy_send_timeout']) expect(nginxDurationMs(child(loc.block, d).args[0])).toBeGreaterThanOrEqual(10 * config.ws.pingPeriodMs);
      // At least the gateways' own uplink limit: 4x the largest frame limit (signaling's).
      expect(Number(/^(\d+)k$/.exec(child(loc.block, 'client_max_body_size').args[0])![1]) * 1024).toBeGreaterThanOrEqual(4 * config.ws.signalingMaxMessageSize);
      expect(child(loc.block, 'proxy_next_upstream').args).toEqual(expect.arrayContaining(['http_503']));
    }
    const gw = children(http, 'upstream').find((u) => u.args[0] === 'switchboard_gateway')!;
    for (const sticky of ['ip_hash', 'hash', 'sticky']) expect(child(gw.block, sticky)).toBeUndefined();
    expect(Number(child(gw.block, 'keepalive').args[0])).toBeGreaterThan(0);
  });

  it('retries an upgrade refused 503 (draining or full replica) on another gateway', () => {
    const loc = matchLocation(tls, '/ws')!;
    expect(child(loc.block, 'proxy_next_upstream').args).toEqual(expect.arrayContaining(['error', 'timeout', 'http_503']));
  });

  it('balances gateways by fewest connections, state shared between workers', () => {
    const gw = children(http, 'upstream').find((u) => u.args[0] === 'switchboard_gateway')!;
    expect(child(gw.block, 'least_conn')).toBeDefined();
    expect(child(gw.block, 'zone')).toBeDefined();
  });

  it('terminates TLS 1.2+ only, and redirects plain HTTP to HTTPS', () => {
    expect(child(tls, 'ssl_protocols').args.sort()).toEqual(['TLSv1.2', 'TLSv1.3']);
    const redirect = child(matchLocation(plain, '/ws/lobby')?.block, 'return');
    expect(redirect.args).toEqual(['301', 'https://$host$request_uri']);
    expect(child(matchLocation(plain, '/nginx-health')?.block, 'return').args[0]).toBe('200');
  });

  it('keeps TLS keys out of git', () => {
    const ignored = (path: string) => {
      try {
        execFileSync('git', ['check-ignore', '-q', path], { cwd: repoPath() });
        return true;
      } catch {
        return false;
      }
    };
    expect(ignored('deploy/nginx/certs/tls.key')).toBe(true);
    expect(ignored('deploy/nginx/certs/tls.crt')).toBe(true);
    const tracked = execFileSync('git', ['ls-files', 'deploy/nginx/certs'], { cwd: repoPath(), encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.filter((f) => !f.endsWith('/.gitignore'))).toEqual([]);
  });
});
