import type { ChunkControl, ConsumedMessage, LogSink, PartitionTaskListener } from '@profilestream/kafka';
import type { FuserMetrics } from '../fusion/fuser.metrics';
import type { InputDecoder } from './fuser-inputs';
import type { PartitionTask } from './partition-task';

/**
 * The partitions this instance owns, one PartitionTask each: made when the group assigns a
 * partition, dropped (without writing) when it moves away or the task is fenced, flushed on stop.
 */
export class TaskManager implements PartitionTaskListener {
  private readonly tasks = new Map<number, PartitionTask>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly createTask: (partition: number) => PartitionTask,
    private readonly decoder: InputDecoder,
    private readonly metrics: FuserMetrics,
    private readonly log: LogSink,
  ) {}

  get size(): number {
    return this.tasks.size;
  }

  generation(partitions: readonly number[]): void {
    // Nothing of the last generation survives: a partition kept may have been advanced by another
    // member while this one was away. Each task re-claims its partition and rewinds to the offsets
    // committed with its state; per-user applied offsets make the re-read harmless.
    for (const p of [...this.tasks.keys()]) this.drop(p);
    for (const p of partitions) this.task(p);
  }

  /** A task fenced by the partition's new owner: forget it (the group reassigns the partition). */
  fenced(partition: number): void {
    this.drop(partition);
  }

  private drop(partition: number): void {
    const task = this.tasks.get(partition);
    if (!task) return;
    this.tasks.delete(partition);
    task.close();
    this.metrics.ownedPartitions.set(this.tasks.size);
  }

  private task(partition: number): PartitionTask {
    let task = this.tasks.get(partition);
    if (!task) {
      task = this.createTask(partition);
      this.tasks.set(partition, task);
      this.metrics.ownedPartitions.set(this.tasks.size);
    }
    return task;
  }

  passed(topic: string, partition: number, nextOffset: bigint): void {
    this.tasks.get(partition)?.passed(topic, nextOffset);
  }

  chunk(messages: ConsumedMessage[], control: ChunkControl): Promise<boolean> {
    const run = (async () => {
      if (!control.isCurrent()) return false;
      const task = this.task(messages[0]!.partition);
      const inputs = await Promise.all(messages.map((m) => this.decoder.decode(m)));
      return task.process(inputs, control);
    })();
    this.inFlight.add(run);
    void run.catch(() => undefined).finally(() => this.inFlight.delete(run));
    return run;
  }

  /** An item's vector arrived: each owned partition folds the clicks that waited for it. */
  itemArrived(itemId: string): void {
    for (const task of this.tasks.values()) task.itemArrived(itemId);
  }

  /** Finishes the chunks in flight, then writes what every task changed (still owning them). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.tasks.values()].map((t) => t.stop()));
    this.log.info({ partitions: [...this.tasks.keys()] }, 'partition tasks flushed');
    this.tasks.clear();
  }
}
