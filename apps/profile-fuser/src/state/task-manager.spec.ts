import { silentLog } from '@profilestream/kafka';
import { Registry } from 'prom-client';
import { FuserMetrics } from '../fusion/fuser.metrics';
import type { InputDecoder } from './fuser-inputs';
import type { PartitionTask } from './partition-task';
import { TaskManager } from './task-manager';

/** Stands in for PartitionTask: the manager only makes, closes and stops tasks. */
function fakeTasks() {
  const made: { partition: number; closed: boolean; task: PartitionTask }[] = [];
  const create = (partition: number) => {
    const record = { partition, closed: false, task: null as unknown as PartitionTask };
    record.task = {
      partition,
      close: () => {
        record.closed = true;
      },
      stop: async () => undefined,
    } as unknown as PartitionTask;
    made.push(record);
    return record.task;
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

    tasks.fenced(made[1]!.task);
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
    tasks.fenced(made[1]!.task);
    tasks.generation([0]);
    jest.advanceTimersByTime(5_000);
    expect(made.map((t) => t.partition)).toEqual([0, 1, 0]);
    expect(tasks.size).toBe(1);
  });

  it('does not claim anything once stopped', async () => {
    const { made, create } = fakeTasks();
    const tasks = manager(create);
    tasks.generation([3]);
    tasks.fenced(made[0]!.task);
    await tasks.stop();
    jest.advanceTimersByTime(5_000);
    expect(made).toHaveLength(1);
    expect(tasks.size).toBe(0);
  });

  it('ignores the fence of a task a rebalance replaced: its successor keeps the partition', () => {
    const { made, create } = fakeTasks();
    const tasks = manager(create);
    tasks.generation([0, 1]);
    tasks.generation([0, 1]);
    expect(made.map((t) => [t.partition, t.closed])).toEqual([
      [0, true],
      [1, true],
      [0, false],
      [1, false],
    ]);
    // The first task for partition 1 had a flush in flight: its successor's claim fenced it.
    tasks.fenced(made[1]!.task);
    expect(made[3]!.closed).toBe(false);
    expect(tasks.size).toBe(2);
    jest.advanceTimersByTime(5_000);
    expect(made).toHaveLength(4);
  });
});
