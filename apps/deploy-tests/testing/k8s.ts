import { readdirSync } from 'node:fs';
import { readRepoFile, repoPath } from './files';
import { parseYaml, parseYamlAll } from './yaml';

/* Minimal shapes of the Kubernetes objects the tests read. */
export type Labels = Record<string, string>;
export interface Meta { name: string; namespace?: string; labels?: Labels; annotations?: Record<string, string> }
export interface K8sObject { apiVersion: string; kind: string; metadata: Meta; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> }
export interface LabelSelector { matchLabels?: Labels; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
export interface Probe { httpGet?: { path: string; port: string | number }; exec?: { command: string[] }; tcpSocket?: { port: string | number }; periodSeconds?: number; failureThreshold?: number }
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string }; fieldRef?: unknown };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: any;
}
export interface PodSpec { containers: Container[]; securityContext?: any; terminationGracePeriodSeconds?: number; topologySpreadConstraints?: any[]; affinity?: any }

export interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  [key: string]: unknown;
}

export const K8S_DIR = 'k8s';

export function kustomization(): Kustomization {
  return parseYaml(readRepoFile(K8S_DIR, 'kustomization.yaml'), 'kustomization.yaml') as Kustomization;
}

/** Every YAML file in k8s/ (not the kustomization itself). */
export function manifestFiles(): string[] {
  return readdirSync(repoPath(K8S_DIR)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
}

/** The objects of one file, each tagged with its file. */
export function loadManifest(file: string): Array<K8sObject & { file: string }> {
  return (parseYamlAll(readRepoFile(K8S_DIR, file), file) as K8sObject[]).map((o) => ({ ...o, file }));
}

/** What `kubectl apply -k k8s/` applies: the kustomization's resources (namespace set on namespaced objects). */
export function appliedObjects(): Array<K8sObject & { file: string }> {
  const k = kustomization();
  return (k.resources ?? []).flatMap((file) => loadManifest(file)).map((o) =>
    o.kind === 'Namespace' || !k.namespace ? o : { ...o, metadata: { ...o.metadata, namespace: k.namespace } },
  );
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function one(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0];
}

export function selects(selector: LabelSelector | undefined, labels: Labels | undefined): boolean {
  if (!selector || (!selector.matchLabels && !selector.matchExpressions)) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export const podSpec = (workload: K8sObject): PodSpec => workload.spec.template.spec as PodSpec;
export const podLabels = (workload: K8sObject): Labels => workload.spec.template.metadata.labels as Labels;

/**
 * A container's environment as the kubelet builds it: envFrom ConfigMaps (and Secrets), then
 * `env`. Secret values come from `secrets` (the test's stand-ins); a missing key of a
 * non-optional ref throws, as the pod would fail to start.
 */
export function containerEnv(objects: K8sObject[], container: Container, secrets: Record<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  const secret = (name: string) => secrets[name] ?? (() => { throw new Error(`Secret ${name} is not provided`); })();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, one(objects, 'ConfigMap', from.configMapRef.name).data ?? {});
    if (from.secretRef) Object.assign(env, secret(from.secretRef.name));
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const value = secret(ref.name)[ref.key];
      if (value === undefined && !ref.optional) throw new Error(`${container.name}: Secret ${ref.name} has no key ${ref.key}`);
      if (value !== undefined) env[e.name] = value;
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const value = one(objects, 'ConfigMap', ref.name).data?.[ref.key];
      if (value === undefined) throw new Error(`${container.name}: ConfigMap ${ref.name} has no key ${ref.key}`);
      env[e.name] = value;
    }
  }
  return env;
}

/** A probe's or Service's port (name or number) as the container's port number. */
export function containerPort(container: Container, port: string | number): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Seconds a preStop hook keeps the container before SIGTERM (`sleep N` exec or the sleep action). */
export function preStopSeconds(container: Container): number {
  const hook = container.lifecycle?.preStop;
  if (!hook) return 0;
  if (hook.sleep) return hook.sleep.seconds;
  const cmd = hook.exec?.command ?? [];
  const m = /(?:^|\s)sleep\s+(\d+(?:\.\d+)?)\b/.exec(cmd.join(' '));
  if (!m) throw new Error(`${container.name}: cannot tell how long the preStop hook takes: ${cmd.join(' ')}`);
  return Number(m[1]);
}

export interface IngressRoute { host?: string; path: string; pathType: string; service: string; port: string | number; ingress: string }

export function ingressRoutes(objects: K8sObject[]): IngressRoute[] {
  return find(objects, 'Ingress').flatMap((ing) =>
    (ing.spec.rules ?? []).flatMap((rule: any) =>
      (rule.http?.paths ?? []).map((p: any) => ({
        host: rule.host,
        path: p.path,
        pathType: p.pathType,
        service: p.backend.service.name,
        port: p.backend.service.port.name ?? p.backend.service.port.number,
        ingress: ing.metadata.name,
      })),
    ),
  );
}

/** The route Kubernetes Ingress semantics pick for a path: an Exact match, else the longest element-wise Prefix. */
export function matchIngress(routes: IngressRoute[], path: string): IngressRoute | undefined {
  const exact = routes.find((r) => r.pathType === 'Exact' && r.path === path);
  if (exact) return exact;
  const elements = (p: string) => p.split('/').filter(Boolean);
  const req = elements(path);
  let best: IngressRoute | undefined;
  let bestLen = -1;
  for (const r of routes) {
    if (r.pathType !== 'Prefix' && r.pathType !== 'ImplementationSpecific') continue;
    const pre = elements(r.path);
    if (pre.length <= req.length && pre.every((e, i) => e === req[i]) && pre.length > bestLen) {
      best = r;
      bestLen = pre.length;
    }
  }
  return best;
}
