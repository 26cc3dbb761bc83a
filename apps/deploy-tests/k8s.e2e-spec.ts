import { ConfigError, loadConfig, type SwitchboardConfig } from '@switchboard/config';
import { parseDockerfile } from './testing/docker';
import { knownVariables, TEST_SECRETS } from './testing/env';
import { entrySource, repoFileExists, ROUTES } from './testing/files';
import {
  appliedObjects,
  type Container,
  containerEnv,
  containerPort,
  find,
  ingressRoutes,
  type K8sObject,
  kustomization,
  loadManifest,
  manifestFiles,
  matchIngress,
  one,
  podLabels,
  podSpec,
  preStopSeconds,
  selects,
} from './testing/k8s';

/** What an operator creates with `kubectl create secret` (see k8s/secret.example.yaml). */
const SECRETS = {
  'switchboard-secrets': {
    JWT_SECRET: TEST_SECRETS.JWT_SECRET,
    DATABASE_URL: `postgresql://switchboard:${TEST_SECRETS.POSTGRES_PASSWORD}@postgres.example.internal:5432/switchboard`,
    SERVICE_USERS: 'ops',
  },
};

/**
 * k8s/ as `kubectl apply -k k8s/` applies it: every manifest parsed, every cross-reference
 * (selectors, ports, names) resolved, every app's environment run through the config loader.
 */
describe('k8s/ (kubectl apply -k)', () => {
  let objects: K8sObject[];
  let gateway: K8sObject;
  let api: K8sObject;
  const container = (w: K8sObject): Container => podSpec(w).containers[0];
  const configOf = (w: K8sObject): SwitchboardConfig => loadConfig(containerEnv(objects, container(w), SECRETS));

  beforeAll(() => {
    objects = appliedObjects();
    gateway = one(objects, 'Deployment', 'gateway');
    api = one(objects, 'Deployment', 'api');
  });

  describe('manifests', () => {
    it.each(manifestFiles())('%s parses into well-formed objects', (file) => {
      const docs = loadManifest(file);
      expect(docs.length).toBeGreaterThan(0);
      for (const d of docs) {
        expect(d).toEqual(expect.objectContaining({ apiVersion: expect.any(String), kind: expect.any(String), metadata: expect.objectContaining({ name: expect.stringMatching(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/) }) }));
      }
    });

    it('kustomization.yaml lists every manifest in k8s/ and only existing ones (the Secret example excepted)', () => {
      const resources = kustomization().resources ?? [];
      const files = manifestFiles();
      expect(resources.filter((r) => !files.includes(r))).toEqual([]);
      expect(files.filter((f) => !resources.includes(f) && !f.endsWith('.example.yaml'))).toEqual([]);
      expect(new Set(resources).size).toBe(resources.length);
      expect(resources.filter((r) => r.endsWith('.example.yaml'))).toEqual([]);
    });

    it('applies everything into one namespace it creates', () => {
      const ns = kustomization().namespace;
      expect(find(objects, 'Namespace').map((n) => n.metadata.name)).toEqual([ns]);
      for (const o of objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe(ns);
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(new Set(names).size).toBe(names.length);
    });

    it('runs the one Switchboard image, set by the kustomization', () => {
      const images = kustomization().images ?? [];
      for (const w of [gateway, api]) {
        expect(container(w).image).toBe('switchboard');
        const source = entrySource(container(w).command ?? []);
        expect(source && repoFileExists(source)).toBeTruthy();
      }
      expect(images.find((i) => i.name === 'switchboard')).toEqual(expect.objectContaining({ newName: expect.any(String), newTag: expect.any(String) }));
      expect(container(gateway).command).toEqual(['node', 'dist/apps/gateway/main.js']);
      expect(container(api).command).toEqual(['node', 'dist/apps/api/main.js']);
    });
  });

  describe('secrets', () => {
    it('applies no Secret (a placeholder would overwrite the real one on every apply) and commits no value', () => {
      expect(find(objects, 'Secret')).toEqual([]);
      const example = loadManifest('secret.example.yaml');
      expect(example.map((o) => o.kind)).toEqual(['Secret']);
      for (const [key, value] of Object.entries(example[0].stringData ?? {})) {
        expect({ key, value }).toEqual({ key, value: expect.stringMatching(/^(CHANGE-ME)?$/) });
      }
      expect(example[0].data).toBeUndefined();
    });

    it('every secret reference names the documented Secret and one of its keys', () => {
      const example = loadManifest('secret.example.yaml')[0];
      const keys = Object.keys(example.stringData ?? {});
      for (const w of [...find(objects, 'Deployment'), ...find(objects, 'StatefulSet')]) {
        for (const c of podSpec(w).containers) {
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref) expect({ env: e.name, secret: ref.name, known: keys.includes(ref.key) }).toEqual({ env: e.name, secret: example.metadata.name, known: true });
          }
        }
      }
    });

    it('the placeholders, if ever applied, stop start-up naming the variable', () => {
      const placeholder = { 'switchboard-secrets': loadManifest('secret.example.yaml')[0].stringData! };
      let error: unknown;
      try {
        loadConfig(containerEnv(objects, container(gateway), placeholder));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('JWT_SECRET');
    });
  });

  describe.each(['gateway', 'api'])('%s Deployment', (name) => {
    let w: K8sObject;
    let c: Container;
    let config: SwitchboardConfig;
    beforeAll(() => {
      w = one(objects, 'Deployment', name);
      c = container(w);
      config = configOf(w);
    });

    it('its environment (ConfigMap + Secret) passes the config loader, in cluster mode, with known variables only', () => {
      expect(config.bus.kind).toBe('redis');
      expect(config.auth.ephemeralSecret).toBe(false);
      expect(config.host).toBe('0.0.0.0');
      const known = knownVariables();
      expect(Object.keys(containerEnv(objects, c, SECRETS)).filter((k) => !known.has(k))).toEqual([]);
      if (name === 'api') expect(config.api.databaseUrl).toBe(SECRETS['switchboard-secrets'].DATABASE_URL);
    });

    it('is secure by default: a credential on every WebSocket, an explicit origin list, stats closed', () => {
      expect(config.ws.requireAuth).toBe(true);
      expect(config.ws.allowedOrigins).not.toContain('*');
      expect(config.ws.allowedOrigins.length).toBeGreaterThan(0);
      expect(config.api.statsRequireAuth).toBe(true);
      // One address, one user: a cap below the replica's, so neither can take every slot.
      expect(config.ws.maxConnectionsPerIp).toBeGreaterThan(0);
      expect(config.ws.maxConnectionsPerIp).toBeLessThan(config.ws.maxConnections);
      expect(config.ws.maxConnectionsPerUser).toBeGreaterThan(0);
    });

    it('probes /health/ready (readiness), /health/live (liveness, startup) on the port the app listens on', () => {
      expect(c.ports?.map((p) => p.containerPort)).toEqual([config.port]);
      const probes = { readinessProbe: '/health/ready', livenessProbe: '/health/live', startupProbe: '/health/live' } as const;
      for (const [probe, path] of Object.entries(probes) as Array<[keyof typeof probes, string]>) {
        const p = c[probe];
        expect({ probe, path: p?.httpGet?.path }).toEqual({ probe, path });
        expect({ probe, port: containerPort(c, p!.httpGet!.port) }).toEqual({ probe, port: config.port });
      }
    });

    it('gives a stopping pod time to leave the endpoints and drain: grace > preStop + drain window + margin', () => {
      const grace = podSpec(w).terminationGracePeriodSeconds ?? 30;
      const preStop = preStopSeconds(c);
      expect(preStop).toBeGreaterThanOrEqual(3);
      expect(grace * 1000).toBeGreaterThanOrEqual((preStop + 5) * 1000 + config.ws.drainTimeoutMs);
    });

    it('selects its own pods, and its Service routes the named port to the app', () => {
      expect(selects(w.spec.selector, podLabels(w))).toBe(true);
      const svc = one(objects, 'Service', name);
      expect(selects({ matchLabels: svc.spec.selector }, podLabels(w))).toBe(true);
      for (const other of find(objects, 'Deployment').filter((d) => d !== w)) expect(selects({ matchLabels: svc.spec.selector }, podLabels(other))).toBe(false);
      for (const port of svc.spec.ports) expect(containerPort(c, port.targetPort)).toBe(config.port);
    });

    it('runs as the image\'s non-root user under the restricted Pod Security profile, with resources', () => {
      const pod = podSpec(w);
      const { stages } = parseDockerfile();
      const imageUser = Number(stages[stages.length - 1].instructions.filter((i) => i.cmd === 'USER').at(-1)!.args.split(':')[0]);
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: imageUser, seccompProfile: { type: 'RuntimeDefault' } }));
      expect(c.securityContext).toEqual(expect.objectContaining({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }));
      expect(c.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
      expect(c.resources?.limits?.memory).toEqual(expect.any(String));
    });
  });

  describe('gateway availability', () => {
    it('runs 3 replicas spread over nodes, and rolls without losing capacity', () => {
      expect(gateway.spec.replicas).toBe(3);
      const spread = podSpec(gateway).topologySpreadConstraints ?? [];
      const hostSpread = spread.find((t) => t.topologyKey === 'kubernetes.io/hostname');
      expect(hostSpread).toBeDefined();
      expect(selects(hostSpread.labelSelector, podLabels(gateway))).toBe(true);
      expect(gateway.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    });

    it('a PodDisruptionBudget keeps most gateways up, without blocking node drains', () => {
      const pdbs = find(objects, 'PodDisruptionBudget').filter((p) => selects(p.spec.selector, podLabels(gateway)));
      expect(pdbs).toHaveLength(1);
      const min = pdbs[0].spec.minAvailable;
      expect(typeof min).toBe('number');
      expect(min).toBeGreaterThanOrEqual(1);
      const hpa = one(objects, 'HorizontalPodAutoscaler', 'gateway');
      expect(min).toBeLessThan(Math.min(gateway.spec.replicas, hpa.spec.minReplicas));
      for (const p of find(objects, 'PodDisruptionBudget')) if (p !== pdbs[0]) expect(selects(p.spec.selector, podLabels(gateway))).toBe(false);
    });

    it('an HPA scales the gateway Deployment on CPU (which its pods request)', () => {
      const hpa = one(objects, 'HorizontalPodAutoscaler', 'gateway');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: gateway.metadata.name });
      expect(hpa.spec.minReplicas).toBe(gateway.spec.replicas);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      const cpu = hpa.spec.metrics.find((m: any) => m.type === 'Resource' && m.resource.name === 'cpu');
      expect(cpu.resource.target).toEqual({ type: 'Utilization', averageUtilization: expect.any(Number) });
      expect(container(gateway).resources?.requests?.cpu).toBeDefined();
    });
  });

  describe('Ingress', () => {
    const backendOf = (path: string) => {
      const route = matchIngress(ingressRoutes(objects), path);
      if (!route) return 'none';
      const svc = one(objects, 'Service', route.service);
      expect(svc.spec.ports.some((p: any) => p.name === route.port || p.port === route.port)).toBe(true);
      const target = find(objects, 'Deployment').find((d) => selects({ matchLabels: svc.spec.selector }, podLabels(d)));
      return target?.metadata.name ?? `service ${route.service} selects no Deployment`;
    };

    it.each(ROUTES.gateway)('%s (WebSocket or SSE) goes to the gateway pods', (path) => expect(backendOf(path)).toBe('gateway'));
    it.each(ROUTES.api)('%s (REST) goes to the api pods', (path) => expect(backendOf(path)).toBe('api'));
    it.each(ROUTES.none)('%s is not published', (path) => expect(backendOf(path)).toBe('none'));

    it('serves TLS for its host and keeps idle WebSockets open far beyond the ping period', () => {
      const pingS = configOf(gateway).ws.pingPeriodMs / 1000;
      for (const ing of find(objects, 'Ingress')) {
        const hosts = ing.spec.rules.map((r: any) => r.host);
        expect(ing.spec.tls.flatMap((t: any) => t.hosts)).toEqual(expect.arrayContaining(hosts));
        expect(ing.spec.tls.every((t: any) => typeof t.secretName === 'string')).toBe(true);
        expect(ing.spec.ingressClassName).toBe('nginx');
      }
      const wsIngresses = new Set(ROUTES.gateway.map((p) => matchIngress(ingressRoutes(objects), p)!.ingress));
      for (const name of wsIngresses) {
        const a = one(objects, 'Ingress', name).metadata.annotations ?? {};
        expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(10 * pingS);
        expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(10 * pingS);
        expect(a['nginx.ingress.kubernetes.io/proxy-next-upstream']).toContain('http_503');
      }
    });

    it('streams SSE unbuffered, takes uplink bodies, and pins no client to a pod', () => {
      const route = matchIngress(ingressRoutes(objects), '/sse/session/abc')!;
      const a = one(objects, 'Ingress', route.ingress).metadata.annotations ?? {};
      expect(a['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
      expect(a['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('256k');
      for (const ing of find(objects, 'Ingress')) {
        const keys = Object.keys(ing.metadata.annotations ?? {});
        expect(keys.filter((k) => /affinity|upstream-hash-by|session-cookie/.test(k))).toEqual([]);
      }
      const svc = one(objects, 'Service', route.service);
      expect(svc.spec.sessionAffinity ?? 'None').toBe('None');
    });
  });

  describe('Prometheus', () => {
    it('a ServiceMonitor scrapes /metrics on the gateway (and api) Services\' http port', () => {
      const sms = find(objects, 'ServiceMonitor');
      expect(sms).toHaveLength(1);
      const sm = sms[0];
      expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
      for (const name of ['gateway', 'api']) {
        const svc = one(objects, 'Service', name);
        expect(selects(sm.spec.selector, svc.metadata.labels)).toBe(true);
        for (const ep of sm.spec.endpoints) {
          expect(ep.path).toBe('/metrics');
          expect(svc.spec.ports.map((p: any) => p.name)).toContain(ep.port);
        }
      }
      expect(selects(sm.spec.selector, one(objects, 'Service', 'redis').metadata.labels)).toBe(false);
    });
  });

  describe('Redis', () => {
    it('the ConfigMap points the bus at the in-cluster Redis Service, which selects the single Redis pod', () => {
      const redisUrl = new URL(configOf(gateway).bus.redisUrl);
      const svc = one(objects, 'Service', redisUrl.hostname);
      const sts = one(objects, 'StatefulSet', 'redis');
      expect(sts.spec.replicas).toBe(1);
      expect(selects({ matchLabels: svc.spec.selector }, podLabels(sts))).toBe(true);
      const port = svc.spec.ports.find((p: any) => p.port === Number(redisUrl.port || 6379));
      expect(containerPort(podSpec(sts).containers[0], port.targetPort)).toBe(6379);
      expect(podSpec(sts).securityContext.runAsNonRoot).toBe(true);
    });
  });
});
