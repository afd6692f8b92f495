import { silentLog } from '@profilestream/kafka';
import { Registry } from 'prom-client';
import { FuserMetrics } from '../fusion/fuser.metrics';
import type { InputDecoder } from './fuser-inputs';
import type { PartitionTask } from './partition-task';
import { TaskManager } from './task-manager';

/** Stands in for PartitionTask: the manager only makes, closes and stops tasks. */
function fakeTasks() {
  const made: { partition: number; closed: boolean }[] = [];
  const create = (partition: number) => {
    const task = { partition, closed: false };
    made.push(task);
    return {
      close: () => {
        task.closed = true;
      },
      stop: async () => undefined,
    } as unknown as PartitionTask;
  };
  return { made, create };
}

function manager(create: (p: number) => PartitionTask) {
  return new TaskManager(create, {} as InputDecoder, new FuserMetrics(new Registry(), 'test'), silentLog, 1_000);
}

describe('TaskManager after a fence', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('claims a partition again when no rebalance took it away', () => {
    const { made, create } = fakeTasks();
    const tasks = manager(create);
    tasks.generation([0, 1]);
    expect(made.map((t) => t.partition)).toEqual([0, 1]);

    tasks.fenced(1);
    expect(made[1]!.closed).toBe(true);
    expect(tasks.size).toBe(1);
    jest.advanceTimersByTime(999);
    expect(tasks.size).toBe(1);
    jest.advanceTimersByTime(1);
    // A new task for partition 1: it re-claims the id and rewinds to the committed offsets.
    expect(made.map((t) => t.partition)).toEqual([0, 1, 1]);
    expect(made[2]!.closed).toBe(false);
    expect(tasks.size).toBe(2);
  });

  it('leaves the partition alone when a rebalance came first', () => {
    const { made, create } = fakeTasks();
    const tasks = manager(create);
    tasks.generation([0, 1]);
    tasks.fenced(1);
    tasks.generation([0]);
    jest.advanceTimersByTime(5_000);
    expect(made.map((t) => t.partition)).toEqual([0, 1, 0]);
    expect(tasks.size).toBe(1);
  });

  it('does not claim anything once stopped', async () => {
    const { made, create } = fakeTasks();
    const tasks = manager(create);
    tasks.generation([3]);
    tasks.fenced(3);
    await tasks.stop();
    jest.advanceTimersByTime(5_000);
    expect(made).toHaveLength(1);
    expect(tasks.size).toBe(0);
  });
});
