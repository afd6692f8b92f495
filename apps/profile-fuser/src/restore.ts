/**
 * `npm run profiles:restore`: rebuilds every profile in Redis from the compacted profiles topic
 * (after a Redis loss), with the fuser's configuration. Run it before starting the fuser.
 */
import { topicCatalog } from '@profilestream/contracts';
import { createKafka, silentLog, topicSerde } from '@profilestream/kafka';
import { createRedis } from '@profilestream/redis';
import { loadProfileFuserConfig } from './config/profile-fuser.config';
import { ProfileStore } from './fusion/profile.store';
import { restoreProfiles } from './restore/restore-profiles';

async function main(): Promise<void> {
  const config = loadProfileFuserConfig();
  const redis = createRedis(config.redis, 'profile-restore');
  await redis.connect();
  const topic = topicCatalog(config.kafka.topicPrefix).profiles;
  const serde = topicSerde(topic, config.kafka);
  await serde.init();
  const report = await restoreProfiles(createKafka(config.kafka, silentLog), topic.name, serde, new ProfileStore(redis, config.redis.keyPrefix));
  console.log(JSON.stringify(report));
  await redis.quit();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
  process.exit(1);
});
