import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { TOPICS } from '@profilestream/contracts';
import { HealthRegistry } from '@profilestream/observability';
import { observabilityTestApp } from '@profilestream/observability/testing';
// The services' own environment definitions, groups and topics are what the manifests must agree with.
import { loadStreamServiceEnv, streamServiceEnvSchema } from '@profilestream/config';
import * as cleaner from '@profilestream/text-cleaner-config';
import * as encoder from '@profilestream/encoder-config';
import * as fuser from '@profilestream/profile-fuser-config';
import { readServiceAcl } from '@profilestream/redis/testing';
import {
  checkGpu,
  checkKafkaUsers,
  checkNetworkPolicies,
  checkRedisSecurity,
  checkScaledObject,
  checkService,
  checkTopics,
  containerEnv,
  find,
  mustSet,
  ofKind,
  type ServiceUnderTest,
} from './checks';
import { K8S_DIR, OVERLAYS, REPO_ROOT, render, renderOverlay, renderer, type K8sObject, type Overlay } from './render';

const SERVICES: ServiceUnderTest[] = [
  {
    name: cleaner.SERVICE_NAME,
    schema: streamServiceEnvSchema(cleaner.textCleanerEnv),
    load: (env) => loadStreamServiceEnv(cleaner.textCleanerEnv, env).settings,
    consumerGroup: cleaner.CONSUMER_GROUP,
    consumedTopics: cleaner.CONSUMED_TOPICS,
  },
  {
    name: encoder.SERVICE_NAME,
    schema: streamServiceEnvSchema(encoder.encoderEnv),
    load: (env) => loadStreamServiceEnv(encoder.encoderEnv, env).settings,
    consumerGroup: encoder.CONSUMER_GROUP,
    consumedTopics: encoder.CONSUMED_TOPICS,
  },
  {
    name: fuser.SERVICE_NAME,
    schema: streamServiceEnvSchema(fuser.fuserEnv),
    load: (env) => loadStreamServiceEnv(fuser.fuserEnv, env).settings,
    consumerGroup: fuser.CONSUMER_GROUP,
    consumedTopics: fuser.CONSUMED_TOPICS,
  },
];

/** Paths the manifests point at; the first test proves the services serve them as meant. */
const PATHS = { live: '/health/live', ready: '/health/ready', metrics: '/metrics' };

const rendered = new Map<Overlay, K8sObject[]>();
const renderedOf = (overlay: Overlay): K8sObject[] => {
  if (!rendered.has(overlay)) rendered.set(overlay, renderOverlay(overlay));
  return rendered.get(overlay)!;
};
const envOf = (objects: K8sObject[], name: string) => containerEnv(objects, find(objects, 'Deployment', name)!).env;
const clone = <T>(x: T): T => structuredClone(x);

describe('the endpoints the manifests probe and scrape', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await observabilityTestApp();
    app.get(HealthRegistry).addReadinessCheck('kafka', async () => {
      throw new Error('broker down');
    });
  });
  afterAll(() => app.close());

  it('liveness stays green while a dependency is down, readiness does not, metrics are Prometheus text', async () => {
    await request(app.getHttpServer()).get(PATHS.live).expect(200);
    await request(app.getHttpServer()).get(PATHS.ready).expect(503);
    const metrics = await request(app.getHttpServer()).get(PATHS.metrics).expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
  });
});

describe('kustomize', () => {
  it(`renders every overlay (${OVERLAYS.join(', ')})`, () => {
    for (const overlay of OVERLAYS) {
      const objects = renderedOf(overlay);
      expect(objects.length).toBeGreaterThan(20);
      for (const o of objects)
        expect(
          typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof o.metadata?.name === 'string',
        ).toBe(true);
      const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(renderer().describe).toMatch(/v5\./);
  });

  it('fails loudly on a broken kustomization', () => {
    expect(() => render(join(K8S_DIR, 'components'))).toThrow(/failed on/);
  });
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = () => renderedOf(overlay);

  it("puts the services in one namespace and the KafkaTopics and KafkaUsers in the Strimzi operators'", () => {
    const strimzi = (o: K8sObject) => o.kind === 'KafkaTopic' || o.kind === 'KafkaUser';
    const serviceNamespaces = new Set(
      objects()
        .filter((o) => !strimzi(o))
        .map((o) => o.metadata.namespace),
    );
    expect([...serviceNamespaces]).toEqual([overlay === 'dev' ? 'profilestream-dev' : 'profilestream']);
    const topicNamespaces = new Set(ofKind(objects(), 'KafkaTopic').map((o) => o.metadata.namespace));
    expect(topicNamespaces.size).toBe(1);
    expect(topicNamespaces.has(undefined)).toBe(false);
    for (const user of ofKind(objects(), 'KafkaUser')) expect(topicNamespaces.has(user.metadata.namespace)).toBe(true);
  });

  it.each(SERVICES.map((s) => [s.name, s] as const))(
    '%s: Deployment, environment, probes, Service, ServiceMonitor, PDB',
    (_name, svc) => {
      expect(checkService(objects(), svc, PATHS)).toEqual([]);
    },
  );

  it.each(SERVICES.map((s) => [s.name, s] as const))(
    '%s: KEDA scales on the lag of its own group and topics, within their partitions',
    (_name, svc) => {
      expect(checkScaledObject(objects(), svc, envOf(objects(), svc.name))).toEqual([]);
    },
  );

  it.each(SERVICES.map((s) => [s.name, s] as const))('%s: network policies', (_name, svc) => {
    expect(checkNetworkPolicies(objects(), svc, envOf(objects(), svc.name))).toEqual([]);
  });

  it('declares every topic and dead-letter topic as in the contracts', () => {
    const env = envOf(objects(), cleaner.SERVICE_NAME);
    const kafka = loadStreamServiceEnv(cleaner.textCleanerEnv, env).settings.kafka;
    expect(checkTopics(objects(), kafka.topicPrefix, kafka.replicationFactor)).toEqual([]);
    expect(ofKind(objects(), 'KafkaTopic').length).toBeGreaterThan(Object.keys(TOPICS).length);
  });

  it('gives every service the same Kafka prefix, and the fuser the weights the encoder runs', () => {
    const prefixes = SERVICES.map((s) => s.load(envOf(objects(), s.name)).kafka.topicPrefix);
    expect(new Set(prefixes).size).toBe(1);
    const enc = loadStreamServiceEnv(encoder.encoderEnv, envOf(objects(), encoder.SERVICE_NAME)).env;
    const fus = loadStreamServiceEnv(fuser.fuserEnv, envOf(objects(), fuser.SERVICE_NAME)).env;
    expect(fus.FUSER_MODEL_VARIANT).toBe(enc.ENCODER_MODEL_VARIANT);
    expect(fus.FUSER_PROJECTION_FILE).toBe(enc.ENCODER_PROJECTION_FILE);
  });

  it('names the Services (and so the scrape jobs) the way the alert rules select them', () => {
    const alerts = readFileSync(join(REPO_ROOT, 'deploy/monitoring/prometheus/alerts.yml'), 'utf8');
    const selectors = [...alerts.matchAll(/job=~"([^"]+)"/g)].map((m) => new RegExp(`^${m[1]!}$`));
    expect(selectors.length).toBeGreaterThan(0);
    for (const svc of SERVICES) {
      const service = find(objects(), 'Service', svc.name);
      expect(service).toBeDefined();
      expect(selectors.some((re) => re.test(service!.metadata.name))).toBe(true);
    }
  });

  it(
    overlay === 'dev'
      ? 'uses Redis as the base sets it up (no TLS, an optional shared password)'
      : 'talks to Redis over TLS with its own CA, as one ACL user per service',
    () => {
      const problems = checkRedisSecurity(objects(), SERVICES);
      if (overlay === 'dev') expect(problems).toContainEqual('text-cleaner: Redis without TLS');
      else expect(problems).toEqual([]);
    },
  );

  it(
    overlay === 'dev'
      ? 'has no Kafka users (a plaintext broker without authorisation)'
      : 'gives each service and KEDA a Kafka user of its own with exactly the ACLs of KAFKA_ACCESS',
    () => {
      if (overlay === 'dev') expect(ofKind(objects(), 'KafkaUser')).toEqual([]);
      else expect(checkKafkaUsers(objects(), SERVICES)).toEqual([]);
    },
  );

  it(overlay === 'gpu' ? 'runs the encoder on GPUs with a larger token budget' : 'asks for no GPU', () => {
    expect(checkGpu(objects(), new Set(overlay === 'gpu' ? [encoder.SERVICE_NAME] : []))).toEqual([]);
    if (overlay === 'gpu') {
      const gpu = loadStreamServiceEnv(encoder.encoderEnv, envOf(objects(), encoder.SERVICE_NAME)).env;
      const cpu = loadStreamServiceEnv(encoder.encoderEnv, envOf(renderedOf('prod'), encoder.SERVICE_NAME)).env;
      expect(gpu.ENCODER_EXECUTION_PROVIDER).toBe('cuda');
      expect(gpu.ENCODER_GPU_TOKEN_BUDGET).toBeGreaterThan(
        encoder.encoderEnvSchema.shape.ENCODER_GPU_TOKEN_BUDGET.parse(undefined),
      );
      expect(gpu.ENCODER_GPU_TOKEN_BUDGET).toBeGreaterThan(cpu.ENCODER_TOKEN_BUDGET);
    }
  });
});

describe('prod overlay credentials', () => {
  it('takes Kafka and Redis credentials from Secrets and never from a ConfigMap', () => {
    const objects = renderedOf('prod');
    for (const svc of SERVICES) {
      const container = (
        find(objects, 'Deployment', svc.name)!.spec as {
          template: {
            spec: { containers: { env: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[] }[] };
          };
        }
      ).template.spec.containers[0]!;
      for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'REDIS_USERNAME', 'REDIS_PASSWORD']) {
        expect(container.env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name).toBeTruthy();
      }
    }
    for (const cm of ofKind(objects, 'ConfigMap')) {
      for (const key of Object.keys(cm.data ?? {})) expect(key).not.toMatch(/PASSWORD|SECRET|_TOKEN$/);
    }
    expect(ofKind(objects, 'Secret')).toEqual([]);
  });
});

describe('the Redis ACL operators install (deploy/redis/users.acl)', () => {
  const acl = readServiceAcl();

  it("has one user per service, whose keys carry the deployments' REDIS_KEY_PREFIX and meet no other user's", () => {
    expect(acl.map((a) => a.user).sort()).toEqual(SERVICES.map((s) => `profilestream-${s.name}`).sort());
    for (const overlay of OVERLAYS) {
      for (const svc of SERVICES) {
        const prefix = svc.load(envOf(renderedOf(overlay), svc.name)).redis.keyPrefix;
        for (const pattern of acl.find((a) => a.user === `profilestream-${svc.name}`)!.keyPatterns)
          expect(pattern.startsWith(prefix)).toBe(true);
      }
    }
    // Patterns are a literal then `*`: two overlap when one literal starts the other.
    const literals = acl.flatMap((a) => a.keyPatterns.map((k) => ({ user: a.user, literal: k.replace(/\*$/, '') })));
    for (const x of literals) expect(x.literal).not.toMatch(/[*?[\\]/);
    for (const x of literals)
      for (const y of literals)
        if (x.user !== y.user)
          expect([x.user, y.user, x.literal.startsWith(y.literal)]).toEqual([x.user, y.user, false]);
  });

  it('is what the runbook tells operators to run, line for line', () => {
    const runbook = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    for (const { user, rules } of acl) expect(runbook).toContain(`ACL SETUSER ${user} ${rules} >`);
  });
});

describe('the checks catch manifests that disagree with the code', () => {
  const base = () => clone(renderedOf('prod'));
  const svc = (name: string) => SERVICES.find((s) => s.name === name)!;
  const deployment = (objects: K8sObject[], name: string) =>
    find(objects, 'Deployment', name)!.spec as {
      template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
    };

  it('a topic with other partitions or a missing compaction setting', () => {
    const objects = base();
    const profiles = ofKind(objects, 'KafkaTopic').find(
      (t) => (t.spec as { topicName: string }).topicName === TOPICS.profiles.name,
    )!;
    (profiles.spec as { partitions: number }).partitions = 12;
    delete (profiles.spec as { config: Record<string, unknown> }).config['min.cleanable.dirty.ratio'];
    const problems = checkTopics(objects, '', 3);
    expect(problems).toContainEqual(expect.stringMatching(/profiles\.v1: partitions 12, contracts say 6/));
    expect(problems).toContainEqual(expect.stringMatching(/profiles\.v1: config/));
    expect(
      checkTopics(
        objects.filter((o) => o !== profiles),
        '',
        3,
      ),
    ).toContainEqual('topic profiles.v1 has no KafkaTopic');
  });

  it('a variable the service does not know, one it rejects, a probe on the wrong path, a short grace period', () => {
    const objects = base();
    const spec = deployment(objects, encoder.SERVICE_NAME);
    const container = spec.template.spec.containers[0]!;
    (container['env'] as unknown[]).push(
      { name: 'ENCODER_BATCH_SIZE', value: '32' },
      { name: 'ENCODER_MODEL_VARIANT', value: 'fp16' },
    );
    (container['livenessProbe'] as { httpGet: { path: string } }).httpGet.path = PATHS.ready;
    spec.template.spec['terminationGracePeriodSeconds'] = 20;
    const problems = checkService(objects, svc(encoder.SERVICE_NAME), PATHS);
    expect(problems).toContainEqual('encoder: ENCODER_BATCH_SIZE is not a variable of encoder');
    expect(problems).toContainEqual(
      expect.stringMatching(/encoder: the service rejects its rendered environment: .*ENCODER_MODEL_VARIANT/s),
    );
    (container['env'] as { name: string }[]).splice(-2);
    const again = checkService(objects, svc(encoder.SERVICE_NAME), PATHS);
    expect(again).toContainEqual('encoder: livenessProbe path /health/ready is not /health/live');
    expect(again).toContainEqual(
      'encoder: terminationGracePeriodSeconds 20 s is not longer than the drain deadline 25 s',
    );
  });

  it("a command that starts another service's main or passes something other than flags", () => {
    const objects = base();
    const container = deployment(objects, 'profile-fuser').template.spec.containers[0]!;
    expect(checkService(objects, svc('profile-fuser'), PATHS)).toEqual([]);
    container['command'] = ['node', '--heap-growing-percent=50', 'dist/apps/encoder/src/main.js'];
    expect(checkService(objects, svc('profile-fuser'), PATHS)).toContainEqual(
      'profile-fuser: command must be node, Node or V8 flags, then dist/apps/profile-fuser/src/main.js (got node --heap-growing-percent=50 dist/apps/encoder/src/main.js)',
    );
    container['command'] = ['node', '-e', 'dist/apps/profile-fuser/src/main.js'];
    expect(checkService(objects, svc('profile-fuser'), PATHS)).toContainEqual(
      expect.stringMatching(/^profile-fuser: command must be node, Node or V8 flags/),
    );
    container['command'] = [
      'node',
      '--v8-pool-size=2',
      '--max_old_space_size=256',
      'dist/apps/profile-fuser/src/main.js',
    ];
    container['workingDir'] = '/srv';
    expect(checkService(objects, svc('profile-fuser'), PATHS)).toEqual([
      "profile-fuser: workingDir beside a command (its main is relative to the image's working directory)",
    ]);
  });

  it('a variable left at a default that points at the pod itself', () => {
    expect(mustSet(streamServiceEnvSchema(cleaner.textCleanerEnv))).toEqual(
      expect.arrayContaining(['KAFKA_BROKERS', 'REDIS_URL']),
    );
    const objects = base();
    const common = ofKind(objects, 'ConfigMap').find((c) => 'KAFKA_BROKERS' in (c.data ?? {}))!;
    delete common.data!['KAFKA_BROKERS'];
    expect(checkService(objects, svc(cleaner.SERVICE_NAME), PATHS)).toContainEqual(
      'text-cleaner: KAFKA_BROKERS must be set (its default does not fit a cluster)',
    );
  });

  it('a Service or ServiceMonitor that selects nothing, a scrape on a port name the Service lacks', () => {
    const objects = base();
    (find(objects, 'Service', fuser.SERVICE_NAME)!.spec as { selector: Record<string, string> }).selector[
      'app.kubernetes.io/name'
    ] = 'fuser';
    (
      find(objects, 'ServiceMonitor', fuser.SERVICE_NAME)!.spec as { endpoints: { port: string }[] }
    ).endpoints[0]!.port = 'metrics';
    const problems = checkService(objects, svc(fuser.SERVICE_NAME), PATHS);
    expect(problems).toContainEqual('profile-fuser: Service selector does not select the pods');
    expect(problems).toContainEqual('profile-fuser: ServiceMonitor port metrics is not a Service port name');
  });

  it('autoscaling past the partitions, on another group or topic, without the SASL settings', () => {
    const objects = base();
    const so = ofKind(objects, 'ScaledObject').find((o) => o.metadata.name === cleaner.SERVICE_NAME)!.spec as {
      maxReplicaCount: number;
      triggers: { metadata: Record<string, string> }[];
    };
    so.maxReplicaCount = 7;
    so.triggers[0]!.metadata['consumerGroup'] = 'cleaner';
    so.triggers[1]!.metadata['topic'] = TOPICS.clicks.name;
    delete so.triggers[2]!.metadata['sasl'];
    const problems = checkScaledObject(objects, svc(cleaner.SERVICE_NAME), envOf(objects, cleaner.SERVICE_NAME));
    expect(problems).toContainEqual('text-cleaner: maxReplicaCount 7 exceeds the 6 partitions of reviews.v1');
    expect(problems).toContainEqual(
      "text-cleaner: trigger consumerGroup cleaner is not the service's group text-cleaner",
    );
    expect(problems).toContainEqual(expect.stringMatching(/text-cleaner: triggers watch .*clicks\.v1/));
    expect(problems).toContainEqual('text-cleaner: trigger sasl undefined, the service uses scram_sha512');
  });

  it('Redis without TLS, a CA file not mounted, credentials shared between services or optional', () => {
    const objects = base();
    const container = (name: string) =>
      deployment(objects, name).template.spec.containers[0]! as unknown as {
        env: { name: string; valueFrom?: { secretKeyRef?: { name: string; optional?: boolean } } }[];
        volumeMounts: { name: string }[];
      };
    for (const e of container(encoder.SERVICE_NAME).env)
      if (e.name.startsWith('REDIS_')) e.valueFrom!.secretKeyRef!.name = 'profilestream-redis-text-cleaner';
    container(fuser.SERVICE_NAME).env.find((e) => e.name === 'REDIS_PASSWORD')!.valueFrom!.secretKeyRef!.optional =
      true;
    const mounts = container(cleaner.SERVICE_NAME).volumeMounts;
    mounts.splice(
      mounts.findIndex((m) => m.name === 'redis-ca'),
      1,
    );
    const problems = checkRedisSecurity(objects, SERVICES);
    expect(problems).toContainEqual(
      'text-cleaner, encoder: share the Redis credentials Secret profilestream-redis-text-cleaner',
    );
    expect(problems).toContainEqual('profile-fuser: the Redis credentials Secret must not be optional');
    expect(problems).toContainEqual(
      'text-cleaner: REDIS_TLS_CA_FILE /etc/profilestream/redis-ca/ca.crt is not on a Secret or ConfigMap volume',
    );
    expect(checkService(objects, svc(cleaner.SERVICE_NAME), PATHS)).toContainEqual(
      'text-cleaner: REDIS_TLS_CA_FILE /etc/profilestream/redis-ca/ca.crt is not under a mounted volume',
    );
    const common = ofKind(objects, 'ConfigMap').find((c) => 'REDIS_TLS' in (c.data ?? {}))!;
    delete common.data!['REDIS_TLS'];
    delete common.data!['REDIS_TLS_CA_FILE'];
    expect(checkRedisSecurity(objects, SERVICES)).toEqual(
      expect.arrayContaining(['encoder: Redis without TLS', 'encoder: REDIS_TLS_CA_FILE is not set']),
    );
  });

  it('a Kafka user with an ACL too few or too many, a Kafka Secret shared with another service or KEDA', () => {
    const objects = base();
    const acls = (name: string) =>
      (
        find(objects, 'KafkaUser', name)!.spec as {
          authorization: { acls: { resource: { type: string; name: string }; operations: string[] }[] };
        }
      ).authorization.acls;
    const cleanerAcls = acls('profilestream-text-cleaner');
    cleanerAcls.splice(
      cleanerAcls.findIndex((a) => a.resource.type === 'transactionalId'),
      1,
    );
    acls('profilestream-encoder').push({
      resource: { type: 'topic', name: TOPICS.profiles.name },
      operations: ['Write'],
    } as never);
    const container = (name: string) =>
      deployment(objects, name).template.spec.containers[0]! as unknown as {
        env: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
      };
    for (const e of container(encoder.SERVICE_NAME).env)
      if (e.name.startsWith('KAFKA_SASL_')) e.valueFrom!.secretKeyRef!.name = 'profilestream-kafka-text-cleaner';
    const auth = find(objects, 'TriggerAuthentication', 'profilestream-kafka')!.spec as {
      secretTargetRef: { parameter: string; name: string }[];
    };
    for (const r of auth.secretTargetRef) if (r.parameter !== 'ca') r.name = 'profilestream-kafka-profile-fuser';
    const problems = checkKafkaUsers(objects, SERVICES);
    expect(problems).toContainEqual(
      'profilestream-text-cleaner: missing ACL transactionalId prefix text-cleaner: Describe,Write',
    );
    expect(problems).toContainEqual('profilestream-encoder: ACL not in KAFKA_ACCESS topic literal profiles.v1: Write');
    expect(problems).toContainEqual(
      'text-cleaner, encoder: share the Kafka credentials Secret profilestream-kafka-text-cleaner',
    );
    expect(problems).toContainEqual(
      'TriggerAuthentication profilestream-kafka: KEDA uses the Kafka Secret profilestream-kafka-profile-fuser of profile-fuser',
    );
  });

  it('a service whose code consumes a topic or uses a group its Kafka user may not', () => {
    const objects = base();
    const greedy = {
      ...svc(encoder.SERVICE_NAME),
      consumerGroup: 'profile-fuser',
      consumedTopics: ['textsCleaned', 'clicks'] as const,
    };
    expect(checkKafkaUsers(objects, [greedy])).toEqual(
      expect.arrayContaining([
        'encoder: consumes clicks.v1, which its Kafka user may not read',
        'encoder: its Kafka user may not use its group profile-fuser',
      ]),
    );
  });

  it("egress without the brokers' port, GPU settings on a CPU service", () => {
    const objects = base();
    const common = ofKind(objects, 'ConfigMap').find((c) => 'KAFKA_BROKERS' in (c.data ?? {}))!;
    common.data!['KAFKA_BROKERS'] = 'kafka.example.com:9094';
    expect(
      checkNetworkPolicies(objects, svc(cleaner.SERVICE_NAME), envOf(objects, cleaner.SERVICE_NAME)),
    ).toContainEqual("text-cleaner: egress does not allow the brokers' port 9094");
    const spec = deployment(objects, cleaner.SERVICE_NAME);
    (spec.template.spec.containers[0]!['resources'] as { limits: Record<string, unknown> }).limits['nvidia.com/gpu'] =
      1;
    expect(checkGpu(objects, new Set())).toContainEqual('text-cleaner: GPU settings outside the GPU variant');
  });
});

describe('images', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'deploy/docker/Dockerfile'), 'utf8');
  const targets = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);

  it("has a Dockerfile target per service image the overlays deploy, each starting that service's main", () => {
    for (const overlay of OVERLAYS) {
      for (const d of ofKind(renderedOf(overlay), 'Deployment')) {
        const image = (
          (
            d.spec as { template: { spec: { containers: { image: string }[] } } }
          ).template.spec.containers[0]!.image.split('/').pop() ?? ''
        ).split(':')[0]!;
        expect(targets).toContain(image);
      }
    }
    for (const svc of SERVICES) {
      const project = JSON.parse(readFileSync(join(REPO_ROOT, 'apps', svc.name, 'project.json'), 'utf8')) as {
        targets: { serve: { options: { command: string } } };
      };
      const main = project.targets.serve.options.command.replace(/^node\s+/, '');
      const stage = dockerfile
        .split(/^FROM /m)
        .find((s) => new RegExp(`^\\S+\\s+AS\\s+${svc.name}\\s*$`, 'im').test(s.split('\n')[0]!))!;
      expect(stage).toContain(`CMD ["node", "${main}"]`);
    }
  });

  it("runs as a non-root user and installs onnxruntime-node's CUDA provider only for the GPU image", () => {
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).not.toMatch(/^USER (root|0)\b/m);
    const stages = dockerfile
      .split(/^FROM /m)
      .slice(1)
      .map((s) => ({ name: /\bAS\s+(\S+)/i.exec(s.split('\n')[0]!)?.[1] ?? '', body: s }));
    const cudaStages = stages.filter((s) => /ONNXRUNTIME_NODE_INSTALL=cuda12/.test(s.body)).map((s) => s.name);
    expect(cudaStages).toEqual(['prod-deps-cuda']);
    expect(stages.filter((s) => s.body.includes('--from=prod-deps-cuda')).map((s) => s.name)).toEqual(['encoder-gpu']);
    expect(
      stages
        .filter((s) => /npm ci --omit=dev/.test(s.body))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['prod-deps', 'prod-deps-cuda']);
    expect(dockerfile).toMatch(/^RUN bash tools\/model\/fetch-default-model\.sh$/m);
  });
});
