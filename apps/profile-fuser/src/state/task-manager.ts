import {
  RECLAIM_AFTER_FENCE_MS,
  type ChunkControl,
  type ConsumedMessage,
  type LogSink,
  type PartitionTaskListener,
} from '@profilestream/kafka';
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
  private assigned = new Set<number>();
  private generationNo = 0;
  private stopped = false;
  private readonly reclaims = new Set<NodeJS.Timeout>();

  constructor(
    private readonly createTask: (partition: number) => PartitionTask,
    private readonly decoder: InputDecoder,
    private readonly metrics: FuserMetrics,
    private readonly log: LogSink,
    private readonly reclaimAfterFenceMs = RECLAIM_AFTER_FENCE_MS,
  ) {}

  get size(): number {
    return this.tasks.size;
  }

  generation(partitions: readonly number[]): void {
    // Nothing of the last generation survives: a partition kept may have been advanced by another
    // member while this one was away. Each task re-claims its partition and rewinds to the offsets
    // committed with its state; per-user applied offsets make the re-read harmless.
    for (const p of [...this.tasks.keys()]) this.drop(p);
    this.assigned = new Set(partitions);
    this.generationNo++;
    for (const p of partitions) this.task(p);
  }

  /**
   * A task fenced by the partition's new owner: forget it (the group reassigns the partition).
   * When no rebalance comes, the fence came from something else (a coordinator failing over can
   * bump the producer epoch): the partition is claimed again, and the new task rewinds to the
   * committed offsets. Without that, records already fetched but not committed would wait for the
   * partition's next record, or for ever.
   *
   * A task a rebalance replaced already is fenced too when its last flush was still in flight as
   * its successor claimed the partition: that says nothing of the successor, which stays.
   */
  fenced(task: PartitionTask): void {
    const { partition } = task;
    if (this.tasks.get(partition) !== task) return;
    this.drop(partition);
    const generation = this.generationNo;
    const timer = setTimeout(() => {
      this.reclaims.delete(timer);
      if (
        this.stopped ||
        generation !== this.generationNo ||
        !this.assigned.has(partition) ||
        this.tasks.has(partition)
      )
        return;
      this.log.warn({ partition }, 'partition still assigned here after its task was fenced; claiming it again');
      this.task(partition);
    }, this.reclaimAfterFenceMs);
    timer.unref();
    this.reclaims.add(timer);
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

  /** A cut-over made this space the served one: every owned partition publishes its profiles again. */
  republishAll(epoch: number): Promise<void> {
    return Promise.all([...this.tasks.values()].map((t) => t.republishAll(epoch))).then(() => undefined);
  }

  /** Finishes the chunks in flight, then writes what every task changed (still owning them). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.reclaims) clearTimeout(timer);
    this.reclaims.clear();
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.tasks.values()].map((t) => t.stop()));
    this.log.info({ partitions: [...this.tasks.keys()] }, 'partition tasks flushed');
    this.tasks.clear();
  }
}
