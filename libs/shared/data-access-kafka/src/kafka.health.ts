import type { Admin } from 'kafkajs';

/** Resolves when the cluster answers a metadata request within `timeoutMs`, rejects otherwise. */
export async function checkKafka(admin: Admin, timeoutMs: number): Promise<{ brokers: number }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const cluster = await Promise.race([admin.describeCluster(), timeout]);
    return { brokers: cluster.brokers.length };
  } finally {
    clearTimeout(timer);
  }
}
