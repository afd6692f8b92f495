/**
 * Structural checks of rendered manifests against the code they deploy: the services' environment
 * schemas and config loaders, their consumer groups and consumed topics, and the topic contracts.
 * Each check returns a list of problems (empty when the manifests agree), so tests can also show
 * that a broken manifest is caught.
 */
import type { z } from 'zod';
import {
  KAFKA_ACCESS,
  allTopicSpecs,
  kafkaAclRules,
  kafkaUserName,
  topicCatalog,
  topicConfigEntries,
  type KafkaAclRule,
  type KafkaOperation,
  type KafkaPrincipal,
  type TopicKey,
} from '@profilestream/contracts';
import { describeEnv } from '@profilestream/config';
import { FORCED_EXIT_MARGIN_MS } from '@profilestream/observability';
import type { K8sObject } from './render';

/** Variables of the runtime rather than of the service's configuration (the heap cap, glibc's allocator). */
const RUNTIME_VARIABLES = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'];

/** What a check needs to know about one service, all of it taken from the service's code. */
export interface ServiceUnderTest {
  name: string;
  schema: z.ZodObject<z.ZodRawShape>;
  /** The service's own boot-time loader: throws a ConfigError naming every bad variable. */
  load: (env: Record<string, string | undefined>) => {
    service: { HTTP_PORT: number; HEALTH_CHECK_TIMEOUT_MS: number; SHUTDOWN_DRAIN_TIMEOUT_MS: number };
    kafka: {
      brokers: string[];
      topicPrefix: string;
      provisionTopics: boolean;
      sasl: { mechanism: string } | null;
      ssl: { caFile: string | null } | null;
    };
    redis: { tls: boolean; tlsCaFile: string | null; keyPrefix: string };
  };
  consumerGroup: string;
  consumedTopics: readonly TopicKey[];
}

/* Loose readers for the parts of objects the checks look at. */
type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => asObj(o)[k], v);

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

function matches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const wanted = asObj(selector);
  const keys = Object.keys(wanted);
  return keys.length > 0 && keys.every((k) => labels?.[k] === wanted[k]);
}

/** The single container of a Deployment's pod template. */
export function containerOf(deployment: K8sObject): Obj {
  return asObj(asArr(at(deployment.spec, 'template', 'spec', 'containers'))[0]);
}

export function podLabels(deployment: K8sObject): Record<string, string> {
  return asObj(at(deployment.spec, 'template', 'metadata', 'labels')) as Record<string, string>;
}

/** A placeholder for a value that only a Secret holds at run time. */
export const secretValue = (name: string, key: string) => `secret:${name}/${key}`;

/**
 * The environment a container starts with: envFrom ConfigMaps (which must be in the render), then
 * env entries (literal values, or Secret references as placeholders). Problems name what is missing.
 */
export function containerEnv(
  objects: K8sObject[],
  deployment: K8sObject,
): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const container = containerOf(deployment);
  for (const source of asArr(container['envFrom'])) {
    const cmName = str(at(source, 'configMapRef', 'name'));
    if (!cmName) {
      problems.push(`${deployment.metadata.name}: envFrom other than a ConfigMap is not expected`);
      continue;
    }
    const cm = find(objects, 'ConfigMap', cmName);
    if (!cm) problems.push(`${deployment.metadata.name}: envFrom ConfigMap ${cmName} is not in the render`);
    Object.assign(env, cm?.data ?? {});
  }
  const seen = new Set<string>();
  for (const entry of asArr(container['env'])) {
    const name = str(at(entry, 'name'))!;
    if (seen.has(name)) problems.push(`${deployment.metadata.name}: env ${name} is set twice`);
    seen.add(name);
    const secretRef = at(entry, 'valueFrom', 'secretKeyRef');
    if (secretRef) env[name] = secretValue(str(at(secretRef, 'name'))!, str(at(secretRef, 'key'))!);
    else if (typeof at(entry, 'value') === 'string') env[name] = str(at(entry, 'value'))!;
    else problems.push(`${deployment.metadata.name}: env ${name} has neither a value nor a Secret reference`);
  }
  return { env, problems };
}

/** Variables a deployment must set: no default in the schema, or a default that is the pod itself. */
export function mustSet(schema: z.ZodObject<z.ZodRawShape>): string[] {
  return describeEnv(schema)
    .filter((row) => row.default === '(required)' || /\b(127\.0\.0\.1|localhost)\b/.test(row.default))
    .map((row) => row.name);
}

function portNumber(container: Obj, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  const named = asArr(container['ports']).find((p) => at(p, 'name') === port);
  return named ? (at(named, 'containerPort') as number) : undefined;
}

const cpuMillis = (q: string): number => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
const BYTES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};
const memoryBytes = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)([KMGT]i?|[kMGT])?$/.exec(q);
  return m ? Number(m[1]) * (m[2] ? BYTES[m[2]]! : 1) : NaN;
};

/** Deployment, probes, env, Service, PDB, ServiceMonitor of one service. */
export function checkService(
  objects: K8sObject[],
  svc: ServiceUnderTest,
  paths: { live: string; ready: string; metrics: string },
): string[] {
  const p: string[] = [];
  const n = svc.name;
  const deployment = find(objects, 'Deployment', n);
  if (!deployment) return [`${n}: no Deployment`];
  const container = containerOf(deployment);
  const labels = podLabels(deployment);

  if (asArr(at(deployment.spec, 'template', 'spec', 'containers')).length !== 1)
    p.push(`${n}: expected exactly one container`);
  if (!matches(at(deployment.spec, 'selector', 'matchLabels'), labels))
    p.push(`${n}: Deployment selector does not match its pod labels`);

  const image = str(container['image']) ?? '';
  if (!/^[^:@\s]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(image) || image.endsWith(':latest'))
    p.push(`${n}: image "${image}" is not pinned to a tag or digest`);
  for (const r of ['cpu', 'memory']) {
    const req =
      str(at(container, 'resources', 'requests', r)) ?? String(at(container, 'resources', 'requests', r) ?? '');
    const lim = str(at(container, 'resources', 'limits', r)) ?? String(at(container, 'resources', 'limits', r) ?? '');
    if (!req || !lim) {
      p.push(`${n}: resources.requests and limits must both set ${r}`);
      continue;
    }
    const [a, b] = r === 'cpu' ? [cpuMillis(req), cpuMillis(lim)] : [memoryBytes(req), memoryBytes(lim)];
    if (!(a > 0 && b >= a)) p.push(`${n}: ${r} limit ${lim} is below its request ${req} (or unreadable)`);
  }

  // A command, where one replaces the image's: Node with flags, starting this service's own main.
  const command = container['command'];
  if (command !== undefined) {
    const words = asArr(command).map((w) => str(w) ?? '');
    const main = `dist/apps/${n}/src/main.js`;
    if (
      words[0] !== 'node' ||
      words.at(-1) !== main ||
      !words.slice(1, -1).every((w) => /^--[a-z0-9_-]+(=\S+)?$/.test(w))
    )
      p.push(`${n}: command must be node, Node or V8 flags, then ${main} (got ${words.join(' ')})`);
    if (container['args'] !== undefined) p.push(`${n}: args beside a command (the command is the whole of it)`);
    if (container['workingDir'] !== undefined)
      p.push(`${n}: workingDir beside a command (its main is relative to the image's working directory)`);
  }

  // Environment: only the service's own variables, everything it must have, accepted by its loader.
  const { env, problems } = containerEnv(objects, deployment);
  p.push(...problems);
  const known = new Set([...Object.keys(svc.schema.shape), ...RUNTIME_VARIABLES]);
  for (const name of Object.keys(env)) if (!known.has(name)) p.push(`${n}: ${name} is not a variable of ${n}`);
  const nodeOptions = env['NODE_OPTIONS'];
  if (nodeOptions !== undefined && !/^(--[a-z-]+(=\S+)?\s*)+$/.test(nodeOptions))
    p.push(`${n}: NODE_OPTIONS must be Node flags only (got ${nodeOptions})`);
  for (const [name, value] of Object.entries(env))
    if (name.startsWith('MALLOC_') && !/^[1-9][0-9]*$/.test(value))
      p.push(`${n}: ${name} must be a positive whole number for glibc to read it (got ${value})`);
  for (const name of mustSet(svc.schema))
    if (!(name in env)) p.push(`${n}: ${name} must be set (its default does not fit a cluster)`);
  let config: ReturnType<ServiceUnderTest['load']>;
  try {
    config = svc.load(env);
  } catch (err) {
    return [...p, `${n}: the service rejects its rendered environment: ${(err as Error).message}`];
  }

  // Probes on the served paths, at the port the service listens on.
  const httpPort = portNumber(container, 'http');
  if (httpPort !== config.service.HTTP_PORT)
    p.push(`${n}: container port "http" is ${httpPort}, the service listens on HTTP_PORT ${config.service.HTTP_PORT}`);
  const probes: [string, string][] = [
    ['livenessProbe', paths.live],
    ['readinessProbe', paths.ready],
    ['startupProbe', paths.live],
  ];
  for (const [probe, path] of probes) {
    const get = at(container, probe, 'httpGet');
    if (!get) {
      p.push(`${n}: no ${probe}`);
      continue;
    }
    if (at(get, 'path') !== path) p.push(`${n}: ${probe} path ${String(at(get, 'path'))} is not ${path}`);
    if (portNumber(container, at(get, 'port')) !== config.service.HTTP_PORT)
      p.push(`${n}: ${probe} port ${String(at(get, 'port'))} is not HTTP_PORT ${config.service.HTTP_PORT}`);
  }
  const readyTimeoutMs = Number(at(container, 'readinessProbe', 'timeoutSeconds') ?? 1) * 1000;
  if (readyTimeoutMs <= config.service.HEALTH_CHECK_TIMEOUT_MS)
    p.push(
      `${n}: readiness timeout ${readyTimeoutMs} ms does not exceed HEALTH_CHECK_TIMEOUT_MS ${config.service.HEALTH_CHECK_TIMEOUT_MS}`,
    );

  // Shutdown: the kubelet must wait longer than the service's own forced-exit deadline.
  const graceMs = Number(at(deployment.spec, 'template', 'spec', 'terminationGracePeriodSeconds') ?? 30) * 1000;
  const deadlineMs = config.service.SHUTDOWN_DRAIN_TIMEOUT_MS + FORCED_EXIT_MARGIN_MS;
  if (graceMs <= deadlineMs)
    p.push(
      `${n}: terminationGracePeriodSeconds ${graceMs / 1000} s is not longer than the drain deadline ${deadlineMs / 1000} s`,
    );

  // A CA file the service reads must be mounted.
  for (const [name, caFile] of [
    ['KAFKA_SSL_CA_FILE', config.kafka.ssl?.caFile],
    ['REDIS_TLS_CA_FILE', config.redis.tlsCaFile],
  ] as const) {
    if (caFile && !asArr(container['volumeMounts']).some((m) => caFile.startsWith(`${String(at(m, 'mountPath'))}/`)))
      p.push(`${n}: ${name} ${caFile} is not under a mounted volume`);
  }

  // Service -> pods, ServiceMonitor -> Service port, PDB -> pods.
  const service = find(objects, 'Service', n);
  if (!service) p.push(`${n}: no Service`);
  const servicePorts = asArr(at(service?.spec, 'ports'));
  if (service) {
    if (!matches(at(service.spec, 'selector'), labels)) p.push(`${n}: Service selector does not select the pods`);
    for (const sp of servicePorts) {
      if (portNumber(container, at(sp, 'targetPort')) === undefined)
        p.push(`${n}: Service port ${String(at(sp, 'name'))} targets no container port`);
    }
  }
  const monitor = find(objects, 'ServiceMonitor', n);
  if (!monitor) p.push(`${n}: no ServiceMonitor`);
  else {
    if (!service || !matches(at(monitor.spec, 'selector', 'matchLabels'), service.metadata.labels))
      p.push(`${n}: ServiceMonitor selector does not select the Service`);
    const endpoints = asArr(at(monitor.spec, 'endpoints'));
    if (endpoints.length === 0) p.push(`${n}: ServiceMonitor has no endpoints`);
    for (const ep of endpoints) {
      if (!servicePorts.some((sp) => at(sp, 'name') === at(ep, 'port')))
        p.push(`${n}: ServiceMonitor port ${String(at(ep, 'port'))} is not a Service port name`);
      if (at(ep, 'path') !== paths.metrics)
        p.push(`${n}: ServiceMonitor path ${String(at(ep, 'path'))} is not ${paths.metrics}`);
    }
  }
  const pdb = ofKind(objects, 'PodDisruptionBudget').find((o) =>
    matches(at(o.spec, 'selector', 'matchLabels'), labels),
  );
  if (!pdb) p.push(`${n}: no PodDisruptionBudget selects the pods`);
  else if (at(pdb.spec, 'maxUnavailable') === undefined && at(pdb.spec, 'minAvailable') === undefined)
    p.push(`${n}: PodDisruptionBudget sets neither maxUnavailable nor minAvailable`);
  return p;
}

/**
 * Redis as production needs it: TLS with a CA from a mounted Secret or ConfigMap, and the service's
 * own ACL user, user name and password both from a Secret of the service's own that no other
 * service reads (a shared password lets any service erase or forge another's state).
 */
export function checkRedisSecurity(objects: K8sObject[], services: readonly ServiceUnderTest[]): string[] {
  const p: string[] = [];
  const secretOwners = new Map<string, string[]>();
  for (const svc of services) {
    const n = svc.name;
    const deployment = find(objects, 'Deployment', n);
    if (!deployment) {
      p.push(`${n}: no Deployment`);
      continue;
    }
    const container = containerOf(deployment);
    const { env } = containerEnv(objects, deployment);
    const config = svc.load(env);
    if (!config.redis.tls) p.push(`${n}: Redis without TLS`);
    const caFile = config.redis.tlsCaFile;
    if (!caFile) p.push(`${n}: REDIS_TLS_CA_FILE is not set`);
    else {
      const mount = asArr(container['volumeMounts']).find((m) => caFile.startsWith(`${String(at(m, 'mountPath'))}/`));
      const volume = asArr(at(deployment.spec, 'template', 'spec', 'volumes')).find(
        (v) => at(v, 'name') === at(mount, 'name'),
      );
      if (!at(volume, 'secret', 'secretName') && !at(volume, 'configMap', 'name'))
        p.push(`${n}: REDIS_TLS_CA_FILE ${caFile} is not on a Secret or ConfigMap volume`);
    }
    p.push(...credentialProblems(n, container, 'REDIS_USERNAME', 'REDIS_PASSWORD', 'Redis', secretOwners));
  }
  for (const [secret, owners] of secretOwners)
    if (owners.length > 1) p.push(`${owners.join(', ')}: share the Redis credentials Secret ${secret}`);
  return p;
}

/** Partitions of each topic as the render creates them (KafkaTopic), else as the contracts say. */
export function partitionsOf(objects: K8sObject[], prefix: string): Map<string, number> {
  const out = new Map(allTopicSpecs(topicCatalog(prefix)).map((s) => [s.name, s.partitions]));
  for (const t of ofKind(objects, 'KafkaTopic'))
    out.set(str(at(t.spec, 'topicName')) ?? t.metadata.name, Number(at(t.spec, 'partitions')));
  return out;
}

/** KEDA's names of the SASL mechanisms of KAFKA_SASL_MECHANISM. */
const KEDA_SASL: Record<string, string> = {
  plain: 'plaintext',
  'scram-sha-256': 'scram_sha256',
  'scram-sha-512': 'scram_sha512',
};

/** KEDA scaling on the consumer group's lag, as the service names its group and topics. */
export function checkScaledObject(objects: K8sObject[], svc: ServiceUnderTest, env: Record<string, string>): string[] {
  const p: string[] = [];
  const n = svc.name;
  const config = svc.load(env);
  const prefix = config.kafka.topicPrefix;
  const so = ofKind(objects, 'ScaledObject').find((o) => at(o.spec, 'scaleTargetRef', 'name') === n);
  if (!so) return [`${n}: no ScaledObject scales the Deployment`];
  const triggers = asArr(at(so.spec, 'triggers'));
  const catalog = topicCatalog(prefix);
  const wantTopics = svc.consumedTopics.map((k) => catalog[k].name).sort();
  const gotTopics = triggers.map((t) => str(at(t, 'metadata', 'topic')) ?? '(all topics)').sort();
  if (JSON.stringify(gotTopics) !== JSON.stringify(wantTopics))
    p.push(`${n}: triggers watch ${gotTopics.join(', ')}; the service consumes ${wantTopics.join(', ')}`);
  const group = `${prefix}${svc.consumerGroup}`;
  const expectedSasl = config.kafka.sasl ? KEDA_SASL[config.kafka.sasl.mechanism] : undefined;
  for (const t of triggers) {
    const md = asObj(at(t, 'metadata'));
    if (at(t, 'type') !== 'kafka') p.push(`${n}: trigger of type ${String(at(t, 'type'))}, expected kafka`);
    if (md['consumerGroup'] !== group)
      p.push(`${n}: trigger consumerGroup ${String(md['consumerGroup'])} is not the service's group ${group}`);
    if (md['bootstrapServers'] !== config.kafka.brokers.join(','))
      p.push(
        `${n}: trigger bootstrapServers ${String(md['bootstrapServers'])} differ from KAFKA_BROKERS ${config.kafka.brokers.join(',')}`,
      );
    if (md['offsetResetPolicy'] !== 'earliest')
      p.push(`${n}: offsetResetPolicy must be earliest (a new group starts at the earliest offset)`);
    if (Number(md['lagThreshold']) <= 0 || Number.isNaN(Number(md['lagThreshold'])))
      p.push(`${n}: lagThreshold must be a positive number`);
    if ((md['sasl'] ?? undefined) !== expectedSasl)
      p.push(`${n}: trigger sasl ${String(md['sasl'])}, the service uses ${String(expectedSasl)}`);
    if ((md['tls'] === 'enable') !== Boolean(config.kafka.ssl))
      p.push(`${n}: trigger tls ${String(md['tls'])} while KAFKA_SSL is ${Boolean(config.kafka.ssl)}`);
    if (expectedSasl) {
      const authName = str(at(t, 'authenticationRef', 'name'));
      const auth = authName ? find(objects, 'TriggerAuthentication', authName) : undefined;
      const params = asArr(at(auth?.spec, 'secretTargetRef')).map((r) => at(r, 'parameter'));
      if (!auth || !params.includes('username') || !params.includes('password'))
        p.push(`${n}: SASL trigger needs a TriggerAuthentication with username and password`);
    }
  }
  const partitions = partitionsOf(objects, prefix);
  const max = Number(at(so.spec, 'maxReplicaCount'));
  const min = Number(at(so.spec, 'minReplicaCount') ?? 0);
  for (const topic of wantTopics) {
    const count = partitions.get(topic);
    if (count === undefined || !(max <= count))
      p.push(`${n}: maxReplicaCount ${max} exceeds the ${String(count)} partitions of ${topic}`);
  }
  if (!(min >= 1 && min <= max)) p.push(`${n}: minReplicaCount ${min} must be between 1 and maxReplicaCount ${max}`);
  const pdbMin = ofKind(objects, 'PodDisruptionBudget')
    .map((o) => at(o.spec, 'minAvailable'))
    .find((v) => typeof v === 'number');
  if (typeof pdbMin === 'number' && pdbMin >= min)
    p.push(`${n}: a PDB minAvailable of ${pdbMin} blocks every drain at ${min} replicas`);
  return p;
}

/** KafkaTopic resources equal the contracts: every topic and DLQ, partitions, configs, replicas. */
export function checkTopics(objects: K8sObject[], prefix: string, replicationFactor: number): string[] {
  const p: string[] = [];
  const topics = ofKind(objects, 'KafkaTopic');
  const byName = new Map(topics.map((t) => [str(at(t.spec, 'topicName')) ?? t.metadata.name, t]));
  const specs = allTopicSpecs(topicCatalog(prefix));
  for (const name of byName.keys())
    if (!specs.some((s) => s.name === name)) p.push(`KafkaTopic ${name} is not in the contracts`);
  for (const spec of specs) {
    const t = byName.get(spec.name);
    if (!t) {
      p.push(`topic ${spec.name} has no KafkaTopic`);
      continue;
    }
    if (at(t.spec, 'partitions') !== spec.partitions)
      p.push(`${spec.name}: partitions ${String(at(t.spec, 'partitions'))}, contracts say ${spec.partitions}`);
    if (at(t.spec, 'replicas') !== replicationFactor)
      p.push(
        `${spec.name}: replicas ${String(at(t.spec, 'replicas'))}, KAFKA_REPLICATION_FACTOR is ${replicationFactor}`,
      );
    const got = Object.fromEntries(Object.entries(asObj(at(t.spec, 'config'))).map(([k, v]) => [k, String(v)]));
    const want = Object.fromEntries(topicConfigEntries(spec).map((e) => [e.name, e.value]));
    if (JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(want).sort())) {
      p.push(`${spec.name}: config ${JSON.stringify(got)}, contracts say ${JSON.stringify(want)}`);
    }
    if (!t.metadata.labels?.['strimzi.io/cluster']) p.push(`${spec.name}: no strimzi.io/cluster label`);
    if (!t.metadata.namespace) p.push(`${spec.name}: no namespace (it must be the Topic Operator's)`);
  }
  return p;
}

function hostPorts(list: string[]): number[] {
  return list.map((hp) => Number(hp.slice(hp.lastIndexOf(':') + 1)));
}

function allowsPort(rule: unknown, container: Obj, port: number, protocol = 'TCP'): boolean {
  const ports = asArr(at(rule, 'ports'));
  if (ports.length === 0) return true;
  return ports.some(
    (pp) => (str(at(pp, 'protocol')) ?? 'TCP') === protocol && portNumber(container, at(pp, 'port')) === port,
  );
}

/** Egress to DNS, the brokers and Redis; ingress to the HTTP port from a namespace, nothing wider. */
export function checkNetworkPolicies(
  objects: K8sObject[],
  svc: ServiceUnderTest,
  env: Record<string, string>,
): string[] {
  const p: string[] = [];
  const n = svc.name;
  const deployment = find(objects, 'Deployment', n)!;
  const container = containerOf(deployment);
  const labels = podLabels(deployment);
  const config = svc.load(env);
  const policies = ofKind(objects, 'NetworkPolicy').filter((np) =>
    matches(at(np.spec, 'podSelector', 'matchLabels'), labels),
  );
  const types = (np: K8sObject) => asArr(at(np.spec, 'policyTypes'));
  const egress = policies.filter((np) => types(np).includes('Egress')).flatMap((np) => asArr(at(np.spec, 'egress')));
  const ingressPolicies = policies.filter((np) => types(np).includes('Ingress'));
  if (egress.length === 0) p.push(`${n}: no egress policy selects the pods`);
  if (ingressPolicies.length === 0) p.push(`${n}: no ingress policy selects the pods`);
  if (!egress.some((r) => allowsPort(r, container, 53, 'UDP'))) p.push(`${n}: egress does not allow DNS (UDP 53)`);
  for (const port of new Set(hostPorts(config.kafka.brokers)))
    if (!egress.some((r) => allowsPort(r, container, port)))
      p.push(`${n}: egress does not allow the brokers' port ${port}`);
  const redisPorts = env['REDIS_CLUSTER_NODES']
    ? hostPorts(env['REDIS_CLUSTER_NODES'].split(','))
    : [Number(/^rediss?:\/\/(?:[^@/]*@)?[^:/]+(?::(\d+))?/.exec(env['REDIS_URL'] ?? '')?.[1] ?? 6379)];
  for (const port of new Set(redisPorts))
    if (!egress.some((r) => allowsPort(r, container, port))) p.push(`${n}: egress does not allow Redis port ${port}`);
  const ingressRules = ingressPolicies.flatMap((np) => asArr(at(np.spec, 'ingress')));
  if (!ingressRules.some((r) => allowsPort(r, container, config.service.HTTP_PORT)))
    p.push(`${n}: no ingress rule allows the HTTP port ${config.service.HTTP_PORT}`);
  for (const rule of ingressRules) {
    const from = asArr(at(rule, 'from'));
    if (from.length === 0 || from.some((f) => !at(f, 'namespaceSelector') && !at(f, 'podSelector')))
      p.push(`${n}: an ingress rule admits any source`);
    if (asArr(at(rule, 'ports')).length === 0) p.push(`${n}: an ingress rule admits every port`);
  }
  return p;
}

/** GPU settings on exactly the GPU encoder. */
export function checkGpu(objects: K8sObject[], gpuServices: ReadonlySet<string>): string[] {
  const p: string[] = [];
  for (const d of ofKind(objects, 'Deployment')) {
    const c = containerOf(d);
    const spec = asObj(at(d.spec, 'template', 'spec'));
    const gpus = Number(at(c, 'resources', 'limits', 'nvidia.com/gpu') ?? 0);
    const tolerates = asArr(spec['tolerations']).some((t) => at(t, 'key') === 'nvidia.com/gpu');
    const selects =
      Object.keys(asObj(spec['nodeSelector'])).length > 0 || Boolean(at(spec, 'affinity', 'nodeAffinity'));
    const { env } = containerEnv(objects, d);
    const cuda = env['ENCODER_EXECUTION_PROVIDER'] === 'cuda';
    const image = str(c['image']) ?? '';
    if (gpuServices.has(d.metadata.name)) {
      if (!(gpus >= 1)) p.push(`${d.metadata.name}: no nvidia.com/gpu limit`);
      if (!tolerates) p.push(`${d.metadata.name}: does not tolerate the nvidia.com/gpu taint`);
      if (!selects) p.push(`${d.metadata.name}: no nodeSelector or node affinity for GPU nodes`);
      if (!cuda) p.push(`${d.metadata.name}: ENCODER_EXECUTION_PROVIDER is not cuda`);
      if (!/gpu/.test(image)) p.push(`${d.metadata.name}: image ${image} is not the GPU image`);
    } else if (gpus > 0 || tolerates || cuda || /gpu/.test(image)) {
      p.push(`${d.metadata.name}: GPU settings outside the GPU variant`);
    }
  }
  return p;
}

const ruleId = (r: KafkaAclRule) => `${r.type} ${r.patternType} ${r.name}: ${[...r.operations].sort().join(',')}`;

/** Whether rules allow an operation on a resource (a literal name, or a name under a prefix). */
function allows(rules: readonly KafkaAclRule[], type: KafkaAclRule['type'], name: string, op: KafkaOperation): boolean {
  return rules.some(
    (r) =>
      r.type === type &&
      r.operations.includes(op) &&
      (r.patternType === 'literal' ? r.name === name : name.startsWith(r.name)),
  );
}

/**
 * Least privilege on Kafka: a KafkaUser per principal of KAFKA_ACCESS carrying exactly its rules
 * for the deployment's prefix and provisioning setting; every service logs in as its own user from
 * a Secret of its own, and its code's group and topics are within its rules; KEDA logs in as its
 * own user whose rules cover every trigger's group and topic.
 */
export function checkKafkaUsers(objects: K8sObject[], services: readonly ServiceUnderTest[]): string[] {
  const p: string[] = [];
  const secretOwners = new Map<string, string[]>();
  const users = ofKind(objects, 'KafkaUser');
  const topicNamespaces = new Set(ofKind(objects, 'KafkaTopic').map((t) => t.metadata.namespace));
  let settings: { topicPrefix: string; provisionTopics: boolean } | null = null;
  for (const svc of services) {
    const n = svc.name;
    const deployment = find(objects, 'Deployment', n);
    if (!deployment) {
      p.push(`${n}: no Deployment`);
      continue;
    }
    const config = svc.load(containerEnv(objects, deployment).env);
    settings ??= { topicPrefix: config.kafka.topicPrefix, provisionTopics: config.kafka.provisionTopics };
    const access = KAFKA_ACCESS[n as KafkaPrincipal];
    if (!access) {
      p.push(`${n}: no entry in KAFKA_ACCESS`);
      continue;
    }
    const rules = kafkaAclRules(access, {
      topicPrefix: config.kafka.topicPrefix,
      provisionTopics: config.kafka.provisionTopics,
    });
    const catalog = topicCatalog(config.kafka.topicPrefix);
    for (const k of svc.consumedTopics)
      if (!allows(rules, 'topic', catalog[k].name, 'Read'))
        p.push(`${n}: consumes ${catalog[k].name}, which its Kafka user may not read`);
    if (!allows(rules, 'group', `${config.kafka.topicPrefix}${svc.consumerGroup}`, 'Read'))
      p.push(`${n}: its Kafka user may not use its group ${config.kafka.topicPrefix}${svc.consumerGroup}`);
    const container = containerOf(deployment);
    p.push(...credentialProblems(n, container, 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'Kafka', secretOwners));
  }
  if (!settings) return p;
  for (const principal of Object.keys(KAFKA_ACCESS) as KafkaPrincipal[]) {
    const name = kafkaUserName(principal);
    const user = users.find((u) => u.metadata.name === name);
    if (!user) {
      p.push(`no KafkaUser ${name}`);
      continue;
    }
    if (!topicNamespaces.has(user.metadata.namespace))
      p.push(
        `${name}: KafkaUser in namespace ${String(user.metadata.namespace)}, not the Kafka cluster's (that of the KafkaTopics)`,
      );
    if (at(user.spec, 'authentication', 'type') !== 'scram-sha-512')
      p.push(
        `${name}: authentication ${String(at(user.spec, 'authentication', 'type'))}, the services use scram-sha-512`,
      );
    const got = asArr(at(user.spec, 'authorization', 'acls')).map((a) =>
      ruleId({
        type: str(at(a, 'resource', 'type')) as KafkaAclRule['type'],
        name: str(at(a, 'resource', 'name')) ?? '',
        patternType: (str(at(a, 'resource', 'patternType')) ?? 'literal') as 'literal' | 'prefix',
        operations: asArr(at(a, 'operations')) as KafkaOperation[],
      }),
    );
    const want = kafkaAclRules(KAFKA_ACCESS[principal], settings).map(ruleId);
    for (const w of want) if (!got.includes(w)) p.push(`${name}: missing ACL ${w}`);
    for (const g of got) if (!want.includes(g)) p.push(`${name}: ACL not in KAFKA_ACCESS ${g}`);
  }
  for (const auth of ofKind(objects, 'TriggerAuthentication')) {
    const secrets = asArr(at(auth.spec, 'secretTargetRef'))
      .filter((r) => ['username', 'password'].includes(String(at(r, 'parameter'))))
      .map((r) => str(at(r, 'name')));
    for (const s of secrets)
      if (s && secretOwners.has(s))
        p.push(
          `TriggerAuthentication ${auth.metadata.name}: KEDA uses the Kafka Secret ${s} of ${secretOwners.get(s)!.join(', ')}`,
        );
  }
  const keda = kafkaAclRules(KAFKA_ACCESS.keda, settings);
  for (const so of ofKind(objects, 'ScaledObject')) {
    for (const t of asArr(at(so.spec, 'triggers'))) {
      const topic = str(at(t, 'metadata', 'topic'));
      const group = str(at(t, 'metadata', 'consumerGroup')) ?? '';
      if (!allows(keda, 'group', group, 'Describe'))
        p.push(`${so.metadata.name}: KEDA's user may not describe group ${group}`);
      if (topic && !allows(keda, 'topic', topic, 'Describe'))
        p.push(`${so.metadata.name}: KEDA's user may not describe topic ${topic}`);
    }
  }
  for (const [secret, owners] of secretOwners)
    if (owners.length > 1) p.push(`${owners.join(', ')}: share the Kafka credentials Secret ${secret}`);
  return p;
}

/**
 * A user and password read from one required Secret; the Secret is recorded in `owners` (secret →
 * services) so callers can report one shared between services.
 */
function credentialProblems(
  n: string,
  container: Obj,
  userVar: string,
  passwordVar: string,
  what: string,
  owners: Map<string, string[]>,
): string[] {
  const p: string[] = [];
  const refs = new Map(
    asArr(container['env']).map(
      (e) =>
        [
          str(at(e, 'name')),
          {
            name: str(at(e, 'valueFrom', 'secretKeyRef', 'name')),
            optional: at(e, 'valueFrom', 'secretKeyRef', 'optional') === true,
          },
        ] as const,
    ),
  );
  const user = refs.get(userVar);
  const password = refs.get(passwordVar);
  if (!user?.name || !password?.name) return [`${n}: ${userVar} and ${passwordVar} must come from a Secret`];
  if (user.name !== password.name)
    p.push(`${n}: ${userVar} and ${passwordVar} come from different Secrets (${user.name}, ${password.name})`);
  if (user.optional || password.optional) p.push(`${n}: the ${what} credentials Secret must not be optional`);
  owners.set(password.name, [...(owners.get(password.name) ?? []), n]);
  return p;
}
