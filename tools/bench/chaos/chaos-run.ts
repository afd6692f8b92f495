/**
 * One pass of the fixed input through the three services on the chaos stack, under a prefix of its
 * own: start the services together on a broker where their topics do not exist yet, send the
 * catalogue and let it drain, send the events (with faults between slices when there is a plan),
 * wait until every group under the prefix has caught up and nothing is written any more, then read
 * the final profiles.
 */
import { join } from 'node:path';
import { kafkaEnvSchema, parseEnv, toKafkaSettings } from '@profilestream/config';
import { ContractViolation, SerdeError } from '@profilestream/contracts';
import { EventProducer, type PlatformEvent } from '@profilestream/event-producer';
import { createKafka, silentLog } from '@profilestream/kafka';
import type { FinalProfile } from '@profilestream/tools-runtime';
import { SERVICE_NAMES, type Fault, type FaultPlan, type ServiceName } from './fault-plan';
import type { FixedInput } from '@profilestream/tools-events';
import { abortable, sleep } from './abortable';
import { waitQuiet, type LagReport } from './group-lag';
import { digestLogFile } from './log-digest';
import type { OwnInfra } from './own-infra';
import { countRunTopics, readFinalProfiles, visibleRecords, type TopicCounts } from './profile-snapshot';
import { ServiceFleet, type FleetEvent } from './service-fleet';

/** Longer than the fuser's publish interval (1 s), so its last rate-limited publishes are in. */
const QUIET_MS = 3000;
const READY_TIMEOUT_MS = 180_000;
const SEND_WINDOW = 200;
const SEND_ATTEMPTS = 5;
/** With a cluster, how long the pipeline runs on two brokers after the leader's kill -9. */
const BROKER_DOWN_MS = 5000;

export interface RunSpec {
  label: string;
  prefix: string;
  input: FixedInput;
  /** Faults between slices of the events; null for a fault-free run. */
  plan: FaultPlan | null;
  infra: OwnInfra;
  servicePorts: Record<ServiceName, number>;
  partitions: number;
  /** Environment the services' own is laid over (the caller's, without service configuration). */
  baseEnv: NodeJS.ProcessEnv;
  logDir: string;
  /** Epoch ms by which the run must have drained; after it, the run is read as it is. */
  drainDeadline: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface FaultRecord {
  fault: Fault;
  /** Events sent before it. */
  afterEvents: number;
  pauseMs: number;
  /** Seconds since the first event was sent. */
  atS: number;
  /** Until the killed service, or every service after an infrastructure restart, was ready again. */
  recoveredS: number;
  /** Services that were not ready again when the harness went on (after an infrastructure restart). */
  notReadyAfter?: boolean;
  /** With a cluster: the node killed, the leader of the fuser's clicks partition 0. */
  node?: number;
  /** With a cluster: events sent while that node was down. */
  sentWhileDown?: number;
}

export interface RunResult {
  label: string;
  prefix: string;
  sent: { catalogue: number; events: number; retriedSends: number };
  faults: FaultRecord[];
  /** Kills, crashes and liveness restarts as the orchestrator saw them. */
  serviceEvents: FleetEvent[];
  drained: boolean;
  notDrainedReason: string | null;
  lagAtEnd: LagReport | null;
  /** Partitions left "behind" only by transaction markers when the run drained. */
  markerOnlyPartitions: number;
  /** Start-up of the services until all were ready. */
  startupS: number;
  /** First event sent until the pipeline last wrote (or until the deadline when not drained). */
  processingS: number;
  profiles: Map<string, FinalProfile>;
  topics: TopicCounts;
}

export async function runPipeline(spec: RunSpec): Promise<RunResult> {
  const { infra, prefix, log } = spec;
  const settings = toKafkaSettings(
    parseEnv(kafkaEnvSchema, { KAFKA_BROKERS: infra.brokers, KAFKA_TOPIC_PREFIX: prefix }),
    `chaos-driver-${spec.label}`,
  );
  const kafka = createKafka(settings, silentLog);
  const admin = kafka.admin();
  let adminConnected = false;
  // An operator's view of whether a service consumes: its group (named by contract) has a member.
  const consuming = async (service: ServiceName): Promise<boolean | null> => {
    if (!adminConnected) return null;
    const [group] = (await admin.describeGroups([`${prefix}${service}`])).groups;
    return (group?.members.length ?? 0) > 0;
  };
  const fleet = new ServiceFleet({
    ports: spec.servicePorts,
    baseEnv: spec.baseEnv,
    logDir: spec.logDir,
    log: (line) => log(`${spec.label}: ${line}`),
    env: {
      KAFKA_BROKERS: infra.brokers,
      REDIS_URL: infra.redisUrl,
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(spec.partitions),
      KAFKA_REPLICATION_FACTOR: String(infra.brokerCount),
      LOG_LEVEL: 'info',
    },
    // One inference thread: the machine is shared by three services, a broker and Redis.
    serviceEnv: { encoder: { ENCODER_WORKERS: '1' } },
    consuming,
  });
  const producer = new EventProducer(settings, silentLog);
  const faults: FaultRecord[] = [];
  const sent = { catalogue: 0, events: 0, retriedSends: 0 };
  let producerConnected = false;
  try {
    await admin.connect();
    adminConnected = true;
    const startAt = Date.now();
    fleet.start();
    await abortable(fleet.waitReady(READY_TIMEOUT_MS), spec.signal);
    const startupS = (Date.now() - startAt) / 1000;
    log(`${spec.label}: services ready in ${startupS.toFixed(1)} s (topics created by the services themselves)`);
    await producer.connect();
    producerConnected = true;

    const quiet = (deadline: number) =>
      waitQuiet({
        admin,
        prefix,
        expectedGroups: SERVICE_NAMES.map((n) => `${prefix}${n}`),
        ready: () => fleet.allReady(),
        quietMs: QUIET_MS,
        deadline,
        signal: spec.signal,
        visibleLag: (p) => visibleRecords(kafka, p.topic, p.partition, p.from, p.end),
      });

    sent.retriedSends += await sendAll(producer, spec.input.catalogue, spec.signal);
    sent.catalogue = spec.input.catalogue.length;
    const catalogueDrained = await quiet(spec.drainDeadline);
    if (!catalogueDrained.drained)
      throw new Error(`${spec.label}: the catalogue did not drain in time (${catalogueDrained.reason})`);
    log(
      `${spec.label}: catalogue of ${sent.catalogue} items drained; sending ${spec.input.events.length} events${spec.plan ? ` with ${spec.plan.steps.length} faults` : ''}`,
    );

    const firstSendAt = Date.now();
    const since = () => (Date.now() - firstSendAt) / 1000;
    const events = spec.input.events;
    const sendNext = async (n: number) => {
      const slice = events.slice(sent.events, sent.events + n);
      sent.retriedSends += await sendAll(producer, slice, spec.signal);
      sent.events += slice.length;
    };
    for (const [i, step] of (spec.plan?.steps ?? []).entries()) {
      await sendNext(step.send);
      await sleep(step.pauseMs, spec.signal);
      const at = since();
      const began = Date.now();
      const record: FaultRecord = {
        fault: step.fault,
        afterEvents: sent.events,
        pauseMs: step.pauseMs,
        atS: at,
        recoveredS: 0,
      };
      if (step.fault.kind === 'kill') {
        await abortable(fleet.kill(step.fault.service, READY_TIMEOUT_MS), spec.signal);
      } else if (step.fault.kind === 'broker-restart' && infra.brokerCount > 1) {
        // The broker that matters most: the leader of a partition the fuser consumes.
        const clicks = `${prefix}clicks.v1`;
        const [topic] = (await admin.fetchTopicMetadata({ topics: [clicks] })).topics;
        const leader = topic?.partitions.find((p) => p.partitionId === 0)?.leader;
        if (leader === undefined) throw new Error(`${spec.label}: no leader known for ${clicks} partition 0`);
        record.node = leader;
        await abortable(infra.killNode(leader), spec.signal);
        // Events keep coming while the node is down: half of what is left goes to the other two.
        const downUntil = Date.now() + BROKER_DOWN_MS;
        await sendNext(Math.ceil((events.length - sent.events) / 2));
        record.sentWhileDown = sent.events - record.afterEvents;
        await sleep(Math.max(0, downUntil - Date.now()), spec.signal);
        await abortable(infra.up(), spec.signal);
        record.notReadyAfter = !(await untilReady(fleet, READY_TIMEOUT_MS, spec.signal));
      } else {
        await abortable(
          step.fault.kind === 'redis-restart' ? infra.restartRedis() : infra.restartBroker(),
          spec.signal,
        );
        record.notReadyAfter = !(await untilReady(fleet, READY_TIMEOUT_MS, spec.signal));
      }
      record.recoveredS = (Date.now() - began) / 1000;
      faults.push(record);
      log(
        `${spec.label}: [${at.toFixed(1).padStart(6)} s] ${describeFault(step.fault)}${record.node === undefined ? '' : ` (node ${record.node}, the leader of clicks partition 0; ${record.sentWhileDown} events sent in its ${BROKER_DOWN_MS / 1000} s down)`} (${i + 1}/${spec.plan!.steps.length}) after ${record.afterEvents} events; ${record.notReadyAfter ? 'NOT all ready' : 'ready'} again after ${record.recoveredS.toFixed(1)} s`,
      );
    }
    await sendNext(events.length - sent.events);
    log(
      `${spec.label}: all ${sent.events} events sent after ${since().toFixed(1)} s; waiting for every group under ${prefix} to catch up`,
    );

    const drained = await quiet(spec.drainDeadline);
    const processingS = ((drained.drainedAt ?? Date.now()) - firstSendAt) / 1000;
    if (drained.drained) log(`${spec.label}: drained ${processingS.toFixed(1)} s after the first event`);
    else {
      log(`${spec.label}: NOT drained in time: ${drained.reason}`);
      // The logs stay on the machine that ran this: what the lagging services complained of goes to the console.
      const lagging = new Set((drained.lag?.lagging ?? []).map((l) => l.groupId.slice(prefix.length)));
      for (const name of SERVICE_NAMES.filter((n) => lagging.has(n))) {
        const digest = digestLogFile(join(spec.logDir, `${name}.log`));
        log(
          `${spec.label}: ${name} logged ${digest.length === 0 ? 'no warnings or errors' : 'these warnings and errors (last of each):'}`,
        );
        for (const line of digest) log(`${spec.label}: ${line}`);
      }
    }
    const profiles = await abortable(readFinalProfiles(kafka, prefix), spec.signal);
    const topics = await abortable(countRunTopics(kafka, prefix), spec.signal);
    return {
      label: spec.label,
      prefix,
      sent,
      faults,
      serviceEvents: fleet.events,
      drained: drained.drained,
      notDrainedReason: drained.reason,
      lagAtEnd: drained.lag,
      markerOnlyPartitions: drained.markerOnlyPartitions,
      startupS,
      processingS,
      profiles,
      topics,
    };
  } finally {
    if (producerConnected) await producer.disconnect().catch(() => undefined);
    if (adminConnected) await admin.disconnect().catch(() => undefined);
    await fleet.stop(10_000);
  }
}

/**
 * Sends events in windows of concurrent sends (the producer batches them), each retried on failure
 * (a broker that has just restarted). Returns how many sends were retried: the producer is
 * idempotent, so a retry does not duplicate a record, and the input counts in the report show it.
 */
async function sendAll(
  producer: EventProducer,
  events: readonly PlatformEvent[],
  signal: AbortSignal,
): Promise<number> {
  let retried = 0;
  const sendOne = async (event: PlatformEvent) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await producer.send(event);
      } catch (err) {
        // A refused record is a bug in the fixed input, not a fault to ride out.
        if (signal.aborted || err instanceof ContractViolation || err instanceof SerdeError || attempt >= SEND_ATTEMPTS)
          throw err;
        retried++;
        await sleep(1000 * attempt); // not abortable: the window as a whole is
      }
    }
  };
  for (let i = 0; i < events.length; i += SEND_WINDOW) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    await abortable(Promise.all(events.slice(i, i + SEND_WINDOW).map(sendOne)), signal);
  }
  return retried;
}

async function untilReady(fleet: ServiceFleet, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fleet.allReady()) return true;
    await sleep(250, signal);
  }
  return false;
}

export function describeFault(f: Fault): string {
  return f.kind === 'kill'
    ? `SIGKILL ${f.service}`
    : f.kind === 'redis-restart'
      ? 'Redis kill -9 and restart (empty)'
      : 'broker kill -9 and restart';
}
