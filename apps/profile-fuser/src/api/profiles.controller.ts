import { BadRequestException, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Headers, ServiceUnavailableException, UnauthorizedException, ForbiddenException } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { decayProfileTo, toUserProfile } from '@profilestream/fusion';
import { partitionForKey, topicCatalog, unpackFloat32, type DecayedVector, type UserProfile, type ValueSerde } from '@profilestream/contracts';
import { topicSerde } from '@profilestream/kafka';
import { StreamRuntime } from '@profilestream/stream-service';
import { FUSER_CONFIG, ProfileFuserService } from '../fusion/profile-fuser.service';
import { decodeStoredUser } from '../state/state-records';
import type { ProfileFuserConfig } from '../config/profile-fuser.config';

const USER_ID = /^[\w.:@-]{1,256}$/u;

type VectorView = Omit<DecayedVector, 'vector'> & { vector: number[] };

/** The profile read API recommenders and operators call; the Kafka topic is the streaming one. */
@Controller('v1/profiles')
export class ProfilesController {
  /** Made on the first erasure request and kept (a registry lookup, with Confluent framing). */
  private deletionSerde: Promise<ValueSerde<'UserDeletion'>> | null = null;

  constructor(
    private readonly fuser: ProfileFuserService,
    private readonly runtime: StreamRuntime,
    @Inject(FUSER_CONFIG) private readonly config: ProfileFuserConfig,
  ) {}

  /** The user's profile with weights and counts decayed to now; vectors as arrays. */
  @Get(':userId')
  async get(@Param('userId') userId: string): Promise<Omit<UserProfile, 'horizons' | 'channels' | 'negative' | 'state'> & { horizons: VectorView[]; channels: VectorView[]; negative: VectorView | null }> {
    const context = this.requireContext();
    if (!USER_ID.test(userId)) throw new BadRequestException('userId must be 1-256 letters, digits or . _ : @ -');
    const partition = partitionForKey(userId, context.partitionCount);
    const bytes = await context.store.readUser(partition, userId);
    if (!bytes) {
      // Without its checkpoint the partition's Redis copy is being rebuilt: absent is not "none".
      if ((await context.store.checkpoint(partition)) === null) throw new ServiceUnavailableException('profiles of this user\'s partition are being restored; retry shortly');
      throw new NotFoundException(`no profile for ${userId}`);
    }
    const stored = decodeStoredUser(bytes);
    if (stored.kind !== 'profile') throw new NotFoundException(`no profile for ${userId}`);
    const profile = decayProfileTo(
      toUserProfile(stored.state, { version: stored.version, interests: [], updatedAt: stored.publishedAt, stateBytes: null, sentimentClassifierId: context.sentimentClassifierId, projectionId: context.projectionId }),
      Date.now(),
    );
    const view = (v: DecayedVector): VectorView => ({ ...v, vector: Array.from(unpackFloat32(v.vector)) });
    const { state: _omit, ...rest } = profile;
    return { ...rest, horizons: profile.horizons.map(view), channels: profile.channels.map(view), negative: profile.negative ? view(profile.negative) : null };
  }

  /** Emits an erasure request onto user-deletions.v1; the fuser then erases and tombstones. */
  @Delete(':userId')
  @HttpCode(202)
  async remove(@Param('userId') userId: string, @Headers('authorization') authorization: string | undefined): Promise<{ userId: string; requestedAt: number }> {
    const token = this.config.apiToken;
    if (!token) throw new ForbiddenException('deletion over HTTP is disabled (FUSER_API_TOKEN is unset)');
    const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
    const expected = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthorizedException('a valid bearer token is required');
    if (!USER_ID.test(userId)) throw new BadRequestException('userId must be 1-256 letters, digits or . _ : @ -');
    const requestedAt = Date.now();
    const topic = topicCatalog(this.config.kafka.topicPrefix).userDeletions;
    const serde = await (this.deletionSerde ??= this.createDeletionSerde(topic));
    await this.runtime.producer.send(topic.name, [{ key: userId, value: serde.encode({ userId, requestedAt }) }]);
    return { userId, requestedAt };
  }

  private async createDeletionSerde(topic: ReturnType<typeof topicCatalog>['userDeletions']): Promise<ValueSerde<'UserDeletion'>> {
    const serde = topicSerde(topic, this.config.kafka);
    try {
      await serde.init();
      return serde;
    } catch (err) {
      this.deletionSerde = null; // a registry outage must not stick: the next request tries again
      throw err;
    }
  }

  private requireContext() {
    const context = this.fuser.context;
    if (!context) throw new ServiceUnavailableException('the fuser is still starting');
    return context;
  }
}
