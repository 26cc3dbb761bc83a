import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { startAppProcess, TestClient, until } from '@switchboard/testing';
import { type Standalone, startStandalone } from './support/standalone';

const ROOT = join(__dirname, '..', '..', '..');
/** Names in a PromQL expression that are metrics (not functions, labels or keywords). */
const METRIC = /\b((?:switchboard|process|nodejs)_[a-z0-9_]+)\b/g;

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'switchboard.json'), 'utf8'));
  const exprs: string[] = [];
  for (const panel of dashboard.panels) for (const t of panel.targets ?? []) exprs.push(t.expr);
  for (const v of dashboard.templating.list) if (typeof v.query === 'string' && v.query.includes('(')) exprs.push(v.query);
  return exprs;
}

function ruleExprs(): Array<{ alert: string; expr: string }> {
  const rule = load(readFileSync(join(ROOT, 'k8s', 'prometheusrule.yaml'), 'utf8')) as any;
  return rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => ({ alert: r.alert, expr: String(r.expr) })));
}

/** Every series name /metrics can produce: histogram and summary names with their suffixes. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

describe('Grafana dashboard and PrometheusRule', () => {
  let sa: Standalone;
  let exported: Set<string>;
  beforeAll(async () => {
    sa = await startStandalone();
    // Embedded PGlite opens in the background: wait until every readiness check is up. Opening
    // it blocks this process (server and test alike) for a while, so a kept-alive socket the
    // server timed out meanwhile can be reset under the next poll: that poll counts as not ready.
    await until('the standalone server to be ready', 25000, async () => (await fetch(`${sa.http}/health/ready`).catch(() => undefined))?.status === 200);
    exported = exportedNames(await (await fetch(`${sa.http}/metrics`)).text());
  }, 30000);
  afterAll(async () => {
    await sa?.app.close();
  });

  it('use only metric names that a running server exports on /metrics', () => {
    const used = new Set([...dashboardExprs(), ...ruleExprs().map((r) => r.expr)].flatMap((e) => [...e.matchAll(METRIC)].map((m) => m[1])));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('alert on a replica not ready, Redis down, a growing outbox backlog and slow-consumer closes spiking', () => {
    const rules = ruleExprs();
    expect(rules.map((r) => r.alert)).toEqual(['SwitchboardReplicaNotReady', 'SwitchboardRedisDown', 'SwitchboardOutboxBacklogGrowing', 'SwitchboardSlowConsumerClosesSpiking']);
    expect(rules[0].expr).toContain('switchboard_ready');
    expect(rules[1].expr).toContain('switchboard_ready_check{check="bus"}');
    expect(rules[2].expr).toContain('switchboard_outbox_backlog');
    expect(rules[3].expr).toContain('reason="slow_consumer"');
  });

  it('chart connections, joins, deliveries, bus latency, slow-consumer closes, outbox backlog and readiness per replica', () => {
    const all = dashboardExprs().join('\n');
    for (const needle of ['switchboard_connections', 'switchboard_joins_total', 'switchboard_frames_out_total', 'switchboard_bus_latency_seconds_bucket', 'reason="slow_consumer"', 'switchboard_outbox_backlog', 'switchboard_ready{']) {
      expect(all).toContain(needle);
    }
  });

  it('exports the readiness and outbox gauges with values, and times bus publishes', async () => {
    const ws = await TestClient.connect(`${sa.url}/ws/dash`);
    await ws.next('user_list');
    ws.send({ type: 'message', room: 'dash', content: 'hello' });
    await ws.next('message');
    await ws.close();
    const text = await (await fetch(`${sa.http}/metrics`)).text();
    expect(text).toMatch(/^switchboard_ready 1$/m);
    expect(text).toMatch(/^switchboard_ready_check\{check="bus"\} 1$/m);
    expect(text).toMatch(/^switchboard_ready_check\{check="database"\} 1$/m);
    expect(text).toMatch(/^switchboard_outbox_backlog 0$/m);
    expect(Number(/^switchboard_bus_publish_seconds_count (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });
});

/** Needs `npm run build`: each app alone, as deployed. */
describe('the outbox gauge', () => {
  it('is exported by the api, which has the outbox, and not by a gateway', async () => {
    const env = { JWT_SECRET: 'dashboards-test-secret-0123456789' };
    const [api, gw] = await Promise.all([startAppProcess('api', { ...env, DATA_DIR: 'memory://' }), startAppProcess('gateway', env)]);
    try {
      expect(await (await fetch(`${api.http}/metrics`)).text()).toMatch(/^switchboard_outbox_backlog 0$/m);
      expect(await (await fetch(`${gw.http}/metrics`)).text()).not.toMatch(/switchboard_outbox_backlog/);
    } finally {
      await Promise.all([api.stop(), gw.stop()]);
    }
  }, 40000);
});
