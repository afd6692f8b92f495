import { BadRequestException, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Headers, ServiceUnavailableException, UnauthorizedException, ForbiddenException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { decayProfileTo, toUserProfile, decodeStoredUser } from '@profilestream/fusion';
import { idViolation, partitionForKey, topicCatalog, unpackFloat32, type DecayedVector, type UserProfile, type ValueSerde } from '@profilestream/contracts';
import { topicSerde } from '@profilestream/kafka';
import { StreamRuntime } from '@profilestream/stream-service';
import { FUSER_CONFIG, ProfileFuserService } from '../fusion/profile-fuser.service';
import type { ProfileFuserConfig } from '../config/profile-fuser.config';

/** The stream's own id rule, so every user with a profile can be read and erased (ids URL-encoded in the path). */
function checkUserId(userId: string): void {
  const violation = idViolation('userId', userId);
  if (violation) throw new BadRequestException(`${violation.detail}: ids are 1-256 characters, not only spaces (URL-encode them)`);
}

/** Constant-time bearer check; a missing or wrong token is refused. */
function checkBearer(authorization: string | undefined, token: string): void {
  const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthorizedException('a valid bearer token is required');
}

/** A user id as the audit log names it: a digest, never the id itself. */
export function auditUserHash(userId: string): string {
  return createHash('sha256').update(userId).digest('hex').slice(0, 16);
}

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
  ) {
    if (!config.apiReadToken) runtime.log.warn({}, 'GET /v1/profiles is open to whoever reaches the HTTP port: set FUSER_API_READ_TOKEN');
  }

  /** The user's profile with weights and counts decayed to now; vectors as arrays. */
  @Get(':userId')
  async get(@Param('userId') userId: string, @Headers('authorization') authorization: string | undefined): Promise<Omit<UserProfile, 'horizons' | 'channels' | 'negative' | 'state'> & { horizons: VectorView[]; channels: VectorView[]; negative: VectorView | null }> {
    if (this.config.apiReadToken) checkBearer(authorization, this.config.apiReadToken);
    checkUserId(userId);
    const context = this.requireContext();
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

  /**
   * Emits an erasure request onto user-deletions.v1; the fuser then erases and tombstones, and
   * text-cleaner forgets the user's texts. Every request, accepted or refused, leaves an audit line
   * naming the user only by a digest.
   */
  @Delete(':userId')
  @HttpCode(202)
  async remove(@Param('userId') userId: string, @Headers('authorization') authorization: string | undefined): Promise<{ userId: string; requestedAt: number }> {
    const audit = { audit: 'erasure', userHash: auditUserHash(userId) };
    const token = this.config.apiToken;
    if (!token) throw new ForbiddenException('deletion over HTTP is disabled (FUSER_API_TOKEN is unset)');
    try {
      checkBearer(authorization, token);
      checkUserId(userId);
    } catch (err) {
      this.runtime.log.warn({ ...audit, outcome: 'refused', reason: err instanceof Error ? err.message : String(err) }, 'erasure request refused');
      throw err;
    }
    const requestedAt = Date.now();
    const topic = topicCatalog(this.config.kafka.topicPrefix).userDeletions;
    const serde = await (this.deletionSerde ??= this.createDeletionSerde(topic));
    await this.runtime.producer.send(topic.name, [{ key: userId, value: serde.encode({ userId, requestedAt }) }]);
    this.runtime.log.info({ ...audit, outcome: 'accepted', requestedAt }, 'erasure request accepted');
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
