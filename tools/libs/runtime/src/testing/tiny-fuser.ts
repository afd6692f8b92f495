/**
 * For tests of what reads the fuser's topics: the built profile-fuser on the tiny fixture model,
 * on its own topic and key prefix (it creates its topics), ready to fuse embedded texts and clicks.
 */
import { join, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { SingleObjectSerde, type UserProfile } from '@profilestream/contracts';
import { readTopicToEnd, type BatchingProducer, type Kafka } from '@profilestream/kafka';
import { loadModelBundle } from '@profilestream/inference';
import { freePortRun } from '../local-pipeline';
import { ServiceProcess, ensureBuilt } from '../service-process';

const tinyModel = join(resolve(__dirname, '../../../../..'), 'libs/shared/fixtures/tiny-bert');

export interface TinyFuser {
  fuser: ServiceProcess;
  /** The id and dimension embeddings must carry for the fuser to fold them. */
  modelId: string;
  dim: number;
}

export async function startTinyFuser(o: {
  prefix: string;
  logDir: string;
  env?: Record<string, string>;
}): Promise<TinyFuser> {
  ensureBuilt();
  const bundle = await loadModelBundle(tinyModel, 'fp32');
  const fuser = new ServiceProcess({
    name: 'profile-fuser',
    port: await freePortRun(1),
    logDir: o.logDir,
    env: {
      KAFKA_TOPIC_PREFIX: o.prefix,
      REDIS_KEY_PREFIX: o.prefix,
      LOG_LEVEL: 'warn',
      FUSER_MODEL_DIR: tinyModel,
      FUSER_MODEL_VARIANT: 'fp32',
      FUSER_PUBLISH_INTERVAL_MS: '100',
      ...o.env,
    },
  });
  fuser.start();
  try {
    await fuser.waitReady(120_000);
  } catch (err) {
    await fuser.stop().catch(() => undefined);
    throw err;
  }
  return { fuser, modelId: bundle.modelId, dim: bundle.manifest.dimension };
}

/** The newest profiles.v1 record per user: a profile, or null for a tombstone (an erased user). */
export async function latestProfiles(kafka: Kafka, topic: string): Promise<Map<string, UserProfile | null>> {
  const serde = new SingleObjectSerde('UserProfile');
  const out = new Map<string, UserProfile | null>();
  await readTopicToEnd(
    kafka,
    topic,
    (m) => void out.set(m.key!.toString(), m.value ? serde.decodeSync(m.value) : null),
  );
  return out;
}

/** A spec's teardown: its producer, the fuser, its log folder. */
export async function stopTinyFuser(o: {
  fuser?: ServiceProcess;
  producer: BatchingProducer;
  workDir: string;
}): Promise<void> {
  await o.producer.disconnect().catch(() => undefined);
  await o.fuser?.stop();
  rmSync(o.workDir, { recursive: true, force: true });
}
