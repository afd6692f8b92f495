import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Headers,
  ServiceUnavailableException,
  UnauthorizedException,
  ForbiddenException,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import { decayProfileTo, decodeStoredUser } from '@profilestream/fusion';
import {
  idViolation,
  partitionForKey,
  topicCatalog,
  unpackFloat32,
  type DecayedVector,
  publishedVersion,
  type InterestCluster,
  type UserProfile,
  type ValueSerde,
} from '@profilestream/contracts';
import { topicSerde } from '@profilestream/kafka';
import { StreamRuntime } from '@profilestream/stream-service';
import { FUSER_CONFIG, ProfileFuserService } from '../fusion/profile-fuser.service';
import type { ProfileFuserConfig } from '../config/profile-fuser.config';
import { profileOf } from '../fusion/profile-publishing';
import type { HistoryPoint } from './profile-history';

/** The stream's own id rule, so every user with a profile can be read and erased (ids URL-encoded in the path). */
function checkUserId(userId: string): void {
  const violation = idViolation('userId', userId);
  if (violation)
    throw new BadRequestException(`${violation.detail}: ids are 1-256 characters, not only spaces (URL-encode them)`);
}

/** Constant-time bearer check; a missing or wrong token is refused. */
function checkBearer(authorization: string | undefined, token: string): void {
  const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new UnauthorizedException('a valid bearer token is required');
}

/** A user id as the audit log names it: a digest, never the id itself. */
export function auditUserHash(userId: string): string {
  return createHash('sha256').update(userId).digest('hex').slice(0, 16);
}

/** How the read API writes vectors: arrays of numbers, packed little-endian float32 in base64 (as on the topic), or not at all. */
export const VECTOR_ENCODINGS = ['array', 'base64', 'none'] as const;
export type VectorEncoding = (typeof VECTOR_ENCODINGS)[number];
/** Most users one batch read may ask for. */
export const BATCH_READ_MAX = 100;
/** History reads served at once; more are answered 503. */
export const HISTORY_READS_AT_ONCE = 2;

type WithVectorView<T extends { vector: Uint8Array }> = Omit<T, 'vector'> & { vector?: number[] | string };
type VectorView = WithVectorView<DecayedVector>;
export type ProfileView = Omit<UserProfile, 'horizons' | 'channels' | 'negative' | 'interestClusters' | 'state'> & {
  horizons: VectorView[];
  channels: VectorView[];
  negative: VectorView | null;
  interestClusters: WithVectorView<InterestCluster>[];
};

function boundedInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new BadRequestException(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

function vectorEncoding(value: string | undefined): VectorEncoding {
  if (value === undefined) return 'array';
  if ((VECTOR_ENCODINGS as readonly string[]).includes(value)) return value as VectorEncoding;
  throw new BadRequestException(`vectors must be one of ${VECTOR_ENCODINGS.join(', ')}, got "${value}"`);
}

const PROFILE = { $ref: '#/components/schemas/ProfileView' };
const SCORED = {
  type: 'object',
  required: ['label', 'score'],
  properties: { label: { type: 'string' }, score: { type: 'number' } },
};
const USER_ID = { name: 'userId', description: 'The user id as the streams carry it (1-256 characters), URL-encoded.' };

/** The profile read API recommenders and operators call; the Kafka topic is the streaming one. */
@ApiTags('profiles')
@ApiBearerAuth()
@Controller('v1/profiles')
export class ProfilesController {
  /** History reads in progress (see HISTORY_READS_AT_ONCE). */
  private historyReads = 0;
  /** Made on the first erasure request and kept (a registry lookup, with Confluent framing). */
  private deletionSerde: Promise<ValueSerde<'UserDeletion'>> | null = null;

  constructor(
    private readonly fuser: ProfileFuserService,
    private readonly runtime: StreamRuntime,
    @Inject(FUSER_CONFIG) private readonly config: ProfileFuserConfig,
  ) {
    if (!config.apiReadToken)
      runtime.log.warn({}, 'GET /v1/profiles is open to whoever reaches the HTTP port: set FUSER_API_READ_TOKEN');
  }

  /** The user's profile with weights and counts decayed to now, interests as published; vectors as `?vectors=` asks (arrays by default). */
  @Get(':userId')
  @ApiParam(USER_ID)
  @ApiQuery({
    name: 'vectors',
    required: false,
    enum: VECTOR_ENCODINGS,
    description: 'How vectors are written (default array).',
  })
  @ApiOkResponse({ description: 'The profile, decayed to now.', schema: PROFILE })
  @ApiNotFoundResponse({ description: 'No profile (no events yet, or erased).' })
  @ApiBadRequestResponse({ description: 'An invalid id or encoding.' })
  @ApiUnauthorizedResponse({ description: 'The read token is missing or wrong.' })
  @ApiServiceUnavailableResponse({ description: "The user's partition is being restored: retry." })
  async get(
    @Param('userId') userId: string,
    @Headers('authorization') authorization: string | undefined,
    @Query('vectors') vectors?: string,
  ): Promise<ProfileView> {
    if (this.config.apiReadToken) checkBearer(authorization, this.config.apiReadToken);
    checkUserId(userId);
    const encoding = vectorEncoding(vectors);
    const read = await this.readOne(userId, encoding);
    // Without its checkpoint the partition's Redis copy is being rebuilt: absent is not "none".
    if (read === 'restoring')
      throw new ServiceUnavailableException("profiles of this user's partition are being restored; retry shortly");
    if (read === null) throw new NotFoundException(`no profile for ${userId}`);
    return read;
  }

  /**
   * The user's profile over time, as published on the changelog in the last `days` (default 7, at
   * most 30): the newest `limit` publishes (default 500, at most 2000), oldest first.
   */
  @Get(':userId/history')
  @ApiParam(USER_ID)
  @ApiQuery({ name: 'days', required: false, description: 'How far back (1-30, default 7).' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'At most this many publishes, the newest (1-2000, default 500).',
  })
  @ApiOkResponse({
    description: 'The publishes of the window, oldest first.',
    schema: {
      type: 'object',
      required: ['userId', 'since', 'points'],
      properties: {
        userId: { type: 'string' },
        since: { type: 'integer', format: 'int64' },
        points: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'publishedAt',
              'eventTime',
              'version',
              'kind',
              'eventCount',
              'interests',
              'categoryAffinities',
              'weights',
            ],
            properties: {
              publishedAt: { type: 'integer', format: 'int64' },
              eventTime: { type: 'integer', format: 'int64' },
              version: { type: 'integer', format: 'int64' },
              kind: { type: 'string', enum: ['update', 'delete'] },
              eventCount: { type: 'integer', nullable: true },
              interests: { type: 'array', items: SCORED },
              categoryAffinities: { type: 'array', items: SCORED },
              weights: { type: 'object', additionalProperties: { type: 'number' } },
            },
          },
        },
      },
    },
  })
  async history(
    @Param('userId') userId: string,
    @Headers('authorization') authorization: string | undefined,
    @Query('days') days?: string,
    @Query('limit') limit?: string,
  ): Promise<{ userId: string; since: number; points: HistoryPoint[] }> {
    if (this.config.apiReadToken) checkBearer(authorization, this.config.apiReadToken);
    checkUserId(userId);
    const d = boundedInteger('days', days, 7, 1, 30);
    const n = boundedInteger('limit', limit, 500, 1, 2000);
    const since = Date.now() - d * 86_400_000;
    const context = this.requireContext();
    // Each read joins a consumer group and reads a partition: a few at a time, not a queue of them.
    if (this.historyReads >= HISTORY_READS_AT_ONCE)
      throw new ServiceUnavailableException(`${HISTORY_READS_AT_ONCE} history reads are running; retry shortly`);
    this.historyReads++;
    try {
      return { userId, since, points: await context.history.read(userId, since, n) };
    } finally {
      this.historyReads--;
    }
  }

  /**
   * Up to BATCH_READ_MAX users in one call: `{ "userIds": [...], "vectors": "none" }` answers the
   * profiles found, the ids without one, and those whose partition is being restored (retry those).
   */
  @Post('batch')
  @HttpCode(200)
  @ApiBody({
    schema: {
      type: 'object',
      required: ['userIds'],
      properties: {
        userIds: { type: 'array', minItems: 1, maxItems: BATCH_READ_MAX, items: { type: 'string' } },
        vectors: { type: 'string', enum: [...VECTOR_ENCODINGS] },
      },
    },
  })
  @ApiOkResponse({
    description: 'The profiles found, the ids without one, and those whose partition is being restored.',
    schema: {
      type: 'object',
      required: ['profiles', 'missing', 'restoring'],
      properties: {
        profiles: { type: 'array', items: PROFILE },
        missing: { type: 'array', items: { type: 'string' } },
        restoring: { type: 'array', items: { type: 'string' } },
      },
    },
  })
  async batch(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<{ profiles: ProfileView[]; missing: string[]; restoring: string[] }> {
    if (this.config.apiReadToken) checkBearer(authorization, this.config.apiReadToken);
    const request = (body ?? {}) as { userIds?: unknown; vectors?: unknown };
    const ids = request.userIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > BATCH_READ_MAX)
      throw new BadRequestException(`userIds must be an array of 1 to ${BATCH_READ_MAX} ids`);
    ids.forEach((id, i) => {
      if (typeof id !== 'string') throw new BadRequestException(`userIds[${i}] is not a string`);
      checkUserId(id);
    });
    if (request.vectors !== undefined && typeof request.vectors !== 'string')
      throw new BadRequestException(`vectors must be one of ${VECTOR_ENCODINGS.join(', ')}`);
    const encoding = vectorEncoding(request.vectors);
    const out = { profiles: [] as ProfileView[], missing: [] as string[], restoring: [] as string[] };
    for (const userId of new Set(ids as string[])) {
      const read = await this.readOne(userId, encoding);
      if (read === 'restoring') out.restoring.push(userId);
      else if (read === null) out.missing.push(userId);
      else out.profiles.push(read);
    }
    return out;
  }

  private async readOne(userId: string, encoding: VectorEncoding): Promise<ProfileView | null | 'restoring'> {
    const context = this.requireContext();
    const partition = partitionForKey(userId, context.partitionCount);
    const bytes = await context.store.readUser(partition, userId);
    if (!bytes) return (await context.store.checkpoint(partition)) === null ? 'restoring' : null;
    const stored = decodeStoredUser(bytes);
    if (stored.kind !== 'profile') return null;
    const profile = decayProfileTo(
      profileOf(
        stored.state,
        publishedVersion(stored.version, context.servingRole().epoch),
        stored.publishedAt,
        context.profileShape,
      ),
      Date.now(),
    );
    const view = <T extends { vector: Uint8Array }>({ vector, ...v }: T): WithVectorView<T> =>
      encoding === 'none'
        ? v
        : {
            ...v,
            vector: encoding === 'base64' ? Buffer.from(vector).toString('base64') : Array.from(unpackFloat32(vector)),
          };
    const { state: _omit, ...rest } = profile;
    return {
      ...rest,
      horizons: profile.horizons.map(view),
      channels: profile.channels.map(view),
      negative: profile.negative ? view(profile.negative) : null,
      interestClusters: profile.interestClusters.map(view),
    };
  }

  /**
   * Emits an erasure request onto user-deletions.v1; the fuser then erases and tombstones, and
   * text-cleaner forgets the user's texts. Every request, accepted or refused, leaves an audit line
   * naming the user only by a digest.
   */
  @Delete(':userId')
  @HttpCode(202)
  @ApiParam(USER_ID)
  @ApiAcceptedResponse({ description: 'The erasure request is on user-deletions.v1.' })
  @ApiForbiddenResponse({ description: 'Erasure over HTTP is off (FUSER_API_TOKEN unset).' })
  async remove(
    @Param('userId') userId: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<{ userId: string; requestedAt: number }> {
    const audit = { audit: 'erasure', userHash: auditUserHash(userId) };
    const token = this.config.apiToken;
    if (!token) throw new ForbiddenException('deletion over HTTP is disabled (FUSER_API_TOKEN is unset)');
    try {
      checkBearer(authorization, token);
      checkUserId(userId);
    } catch (err) {
      this.runtime.log.warn(
        { ...audit, outcome: 'refused', reason: err instanceof Error ? err.message : String(err) },
        'erasure request refused',
      );
      throw err;
    }
    const requestedAt = Date.now();
    const topic = topicCatalog(this.config.kafka.topicPrefix).userDeletions;
    const serde = await (this.deletionSerde ??= this.createDeletionSerde(topic));
    await this.runtime.producer.send(topic.name, [{ key: userId, value: serde.encode({ userId, requestedAt }) }]);
    this.runtime.log.info({ ...audit, outcome: 'accepted', requestedAt }, 'erasure request accepted');
    return { userId, requestedAt };
  }

  private async createDeletionSerde(
    topic: ReturnType<typeof topicCatalog>['userDeletions'],
  ): Promise<ValueSerde<'UserDeletion'>> {
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
