import { SERVING_KEY, decodeServingSpace, type ServingSpace } from '@profilestream/contracts';
import { FollowedTable, type ConsumedMessage, type Kafka, type LogSink } from '@profilestream/kafka';

/** What this deployment publishes now. */
export interface ServingRole {
  /** profiles.v1 and the changelog when true; profiles.shadow.v1 otherwise. */
  serving: boolean;
  /** The cut-over epoch published versions are lifted by (0 before any cut-over). */
  epoch: number;
}

/**
 * Follows `profile-fuser.serving.v1` (every instance reads all of it): whether this deployment's
 * vector space is the one profiles.v1 carries. Before any record exists the deployment without a
 * KAFKA_GROUP_SUFFIX serves (a single deployment never needs a record) and a second one, started
 * for a migration, publishes on the shadow topic.
 */
export class ServingControl extends FollowedTable {
  private record: ServingSpace | null = null;
  private readonly listeners: ((role: ServingRole, previous: ServingRole) => void)[] = [];

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly space: string,
    private readonly log: LogSink,
    groupPrefix: string,
    /** Whether this deployment serves while no record exists: the one without a group suffix. */
    private readonly servesByDefault: boolean,
  ) {
    super(kafka, topic, groupPrefix);
  }

  role(): ServingRole {
    return roleOf(this.record, this.space, this.servesByDefault);
  }

  /** Called after each change of role or epoch, with the role before it. */
  onChange(listener: (role: ServingRole, previous: ServingRole) => void): void {
    this.listeners.push(listener);
  }

  protected apply(messages: ConsumedMessage[]): void {
    for (const m of messages) {
      if (m.key?.toString() !== SERVING_KEY || m.value === null) continue;
      let next: ServingSpace;
      try {
        next = decodeServingSpace(m.value);
      } catch (err) {
        this.log.error({ err, offset: m.offset }, 'unreadable serving record skipped');
        continue;
      }
      // A record of an older epoch (written by a command that raced another) changes nothing.
      if (this.record && next.epoch <= this.record.epoch) continue;
      const previous = this.role();
      this.record = next;
      const role = this.role();
      this.log.info({ ...next, serving: role.serving }, 'serving space changed');
      for (const l of this.listeners) l(role, previous);
    }
  }
}

export function roleOf(record: ServingSpace | null, space: string, servesByDefault: boolean): ServingRole {
  if (!record) return { serving: servesByDefault, epoch: 0 };
  return { serving: record.space === space, epoch: record.epoch };
}
