/**
 * Test-only, never part of a service: preloaded into a service process (`NODE_OPTIONS=--require
 * <this file>`) to crash it at one exact point, between the brokers' acknowledgement of a chunk's
 * outputs and the commit of its consumed offsets. `PS_CRASH_BEFORE_COMMIT=N` makes the process
 * SIGKILL itself just before the Nth such commit:
 *
 * - transactional (KAFKA_EXACTLY_ONCE=true): before the Nth EndTxn (commit) of any transactional
 *   producer; the transaction's records and offsets are already written, not yet committed;
 * - at least once: before the Nth offset commit a consumer's eachBatch asks for, after the
 *   chunk's outputs were acknowledged.
 *
 * `PS_CRASH_AFTER_COMMIT=N` instead kills it once the Nth transaction committed, right away or
 * `PS_CRASH_AFTER_COMMIT_DELAY_MS` later (profile-fuser: before or after its Redis sync).
 *
 * It wraps kafkajs' own objects, so the service runs its real code up to the kill.
 */
'use strict';

const kafkajs = require('kafkajs');

const crashAt = Number(process.env.PS_CRASH_BEFORE_COMMIT || 0);
const crashAfter = Number(process.env.PS_CRASH_AFTER_COMMIT || 0);
const crashAfterDelayMs = Number(process.env.PS_CRASH_AFTER_COMMIT_DELAY_MS || 0);
let commits = 0;
let committed = 0;

function afterCommit() {
  committed += 1;
  if (committed !== crashAfter) return;
  const kill = () => {
    process.stderr.write(`crash-after-commit: SIGKILL after commit ${committed}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
  if (crashAfterDelayMs > 0) setTimeout(kill, crashAfterDelayMs);
  else kill();
}

function beforeCommit() {
  commits += 1;
  if (commits !== crashAt) return;
  process.stderr.write(`crash-before-commit: SIGKILL before commit ${commits}\n`);
  process.kill(process.pid, 'SIGKILL');
}

if (crashAt > 0 || crashAfter > 0) {
  const { producer, consumer } = kafkajs.Kafka.prototype;

  kafkajs.Kafka.prototype.producer = function (...args) {
    const p = producer.apply(this, args);
    const transaction = p.transaction;
    p.transaction = async (...txnArgs) => {
      const txn = await transaction(...txnArgs);
      const commit = txn.commit;
      txn.commit = async (...commitArgs) => {
        beforeCommit();
        const result = await commit(...commitArgs);
        afterCommit();
        return result;
      };
      return txn;
    };
    return p;
  };

  kafkajs.Kafka.prototype.consumer = function (...args) {
    const c = consumer.apply(this, args);
    const run = c.run;
    c.run = (config) => {
      if (!config || !config.eachBatch) return run(config);
      const eachBatch = config.eachBatch;
      return run({
        ...config,
        eachBatch: (payload) =>
          eachBatch({
            ...payload,
            commitOffsetsIfNecessary: async (offsets) => {
              beforeCommit();
              return payload.commitOffsetsIfNecessary(offsets);
            },
          }),
      });
    };
    return c;
  };
}
