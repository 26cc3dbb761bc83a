import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, freePorts, RedisServer, sleep, startAppProcess } from '@switchboard/testing';
import { appServices, loadCompose, serviceEnv } from './compose';
import { TEST_SECRETS } from './env';
import { repoPath } from './files';
import { checkNginxConf, nginxBinary, type NginxProcess, renderTestNginxConf, startNginx } from './nginx';
import { makeSelfSignedCert } from './tls';

/** The compose edge on loopback: nginx (TLS) in front of the gateways and, when asked, the api, on a real Redis. */
export interface Edge {
  dir: string;
  /** The test certificate, to trust. */
  ca: Buffer;
  https: number;
  http: number;
  redis: RedisServer;
  gws: AppProcess[];
  api?: AppProcess;
  nginx: NginxProcess;
  /** Lines of nginx's access log. */
  accessLog(): string[];
  stop(): Promise<void>;
}

export interface EdgeOptions {
  /** Start the api too (else nginx's api upstream points at a closed port). */
  api?: boolean;
  /** Extra gateway environment, over docker-compose.yml's. */
  gatewayEnv?: Record<string, string>;
  /** Changes to switchboard-routes.conf for this test (e.g. a proxy that refuses upgrades); the committed file otherwise. */
  routes?: (text: string) => string;
}

/**
 * The committed deploy/nginx/nginx.conf and switchboard-routes.conf in a real nginx (only its
 * addresses rewritten to loopback ports), TLS with a certificate made by openssl, in front of
 * the gateways (as many as nginx.conf lists) and the api, started with docker-compose.yml's
 * own environment. Needs `nginx` and `openssl` installed and `npm run build` done.
 */
export async function startEdge(options: EdgeOptions = {}): Promise<Edge> {
  const bin = nginxBinary(); // fails here, with how to install it, when nginx is missing
  const dir = mkdtempSync(join(tmpdir(), 'sb-edge-'));
  chmodSync(dir, 0o755); // nginx workers run as an unprivileged user when the test is root
  const { pem: ca } = makeSelfSignedCert(dir);
  const redis = await RedisServer.start();
  // docker-compose.yml's environment for each app, with the addresses of this machine.
  const compose = loadCompose({ ...TEST_SECRETS });
  const local = { PORT: '0', HOST: '127.0.0.1', REDIS_URL: redis.url };
  const gatewayEnv = {
    ...serviceEnv(compose.services[appServices(compose, 'gateway')[0]]),
    ...local,
    WEBSOCKET_DRAIN_TIMEOUT: '2s',
    WEBSOCKET_HEARTBEAT_INTERVAL: '250ms',
    WEBSOCKET_CONNECTION_TIMEOUT: '2s',
    ...options.gatewayEnv,
  };
  const { DATABASE_URL: _pg, ...apiEnv } = serviceEnv(compose.services.api);
  const started = await Promise.allSettled([
    ...(options.api ? [startAppProcess('api', { ...apiEnv, ...local, DATA_DIR: join(dir, 'pglite') })] : []),
    ...appServices(compose, 'gateway').map(() => startAppProcess('gateway', gatewayEnv, 20_000)),
  ]);
  const up = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(up.map((p) => p.stop('SIGKILL')));
    await redis.destroy();
    throw failed.reason;
  }
  const api = options.api ? up.shift() : undefined;
  const gws = up;
  const [https, http, closed] = await freePorts(3);
  const conf = renderTestNginxConf(readFileSync(repoPath('deploy', 'nginx', 'nginx.conf'), 'utf8'), { https, http, gateways: gws.map((g) => g.port), api: api?.port ?? closed }, dir);
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const routes = readFileSync(repoPath('deploy', 'nginx', 'switchboard-routes.conf'), 'utf8');
  if (options.routes) writeFileSync(join(dir, 'switchboard-routes.conf'), options.routes(routes));
  else copyFileSync(repoPath('deploy', 'nginx', 'switchboard-routes.conf'), join(dir, 'switchboard-routes.conf'));
  checkNginxConf(bin, dir, join(dir, 'nginx.conf'));
  const nginx = startNginx(bin, dir, join(dir, 'nginx.conf'));
  const stop = async () => {
    await nginx.stop();
    await Promise.all([api, ...gws].map((p) => p?.stop('SIGKILL')));
    await redis.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${http}/nginx-health`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline || nginx.proc.exitCode !== null) {
      await stop();
      throw new Error(`nginx did not start:\n${nginx.logs.join('\n')}`);
    }
    await sleep(50);
  }
  const accessLog = () => readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter(Boolean);
  return { dir, ca, https, http, redis, gws, api, nginx, accessLog, stop };
}
